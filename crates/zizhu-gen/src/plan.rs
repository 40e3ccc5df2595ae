//! The plan: geography, how many households each village has, the schools,
//! and one cheap pass over all households that records, per school, which
//! students it has (as 4-byte indices) and keeps ID numbers unique.
//!
//! Memory stays small because nothing but indices is kept: about 8 bytes
//! per enrolled student and a bitmap per ID area code. Everything else is
//! regenerated from the per-household random streams when it is written.

use crate::config::GenConfig;
use crate::error::GenError;
use crate::geo::Geo;
use crate::household::{self, ChildStatus, Ctx, Household, HouseholdKind, StudyMode, area_table};
use crate::rng::{domain, stream};
use crate::schools::{SchoolPlan, StageLoad};
use std::collections::{HashMap, HashSet};
use zizhu_core::{Date, IdNumber, Stage, Term, TownshipKind};

/// Households sampled per township kind to estimate enrolment per family.
const CALIBRATION_HOUSEHOLDS: u32 = 2_000;

/// Elderly listed households per 1000 families, by township kind.
fn elderly_per_mille(kind: TownshipKind) -> u64 {
    match kind {
        TownshipKind::Subdistrict => 50,
        TownshipKind::Town => 120,
        _ => 180,
    }
}

/// Expected in-county enrolment per family household, in thousandths.
#[derive(Clone, Copy, Debug, Default)]
struct Calibration {
    total: u64,
    load: StageLoad,
}

/// The plan of the whole county.
pub(crate) struct Plan {
    pub seed: u64,
    pub term: Term,
    pub geo: Geo,
    pub schools: SchoolPlan,
    pub areas: Vec<String>,
    /// First household index of each village (one extra entry at the end).
    starts: Vec<u32>,
    /// Number of family households of each village (the rest are elderly).
    families: Vec<u32>,
    /// Per school: the enrolled students as ordinals, in household order.
    pub school_students: Vec<Vec<u32>>,
    /// Per enrolled ordinal: its household.
    pub enrolled_household: Vec<u32>,
    /// ID sequence numbers moved to keep IDs unique, by (household, member).
    id_overrides: HashMap<u64, u16>,
}

impl Plan {
    /// Builds the plan and runs the assignment pass.
    pub(crate) fn build(cfg: &GenConfig) -> Result<Plan, GenError> {
        cfg.validate()?;
        let geo = Geo::build(cfg.seed, &cfg.county, cfg.county_name(), cfg.students);
        let areas = area_table(&cfg.county);
        let calibration = calibrate(cfg, &geo);
        let total_weight: u64 = geo.villages.iter().map(|v| u64::from(v.weight)).sum();
        let mut starts = Vec::with_capacity(geo.villages.len() + 1);
        let mut families = Vec::with_capacity(geo.villages.len());
        let mut load = Vec::with_capacity(geo.villages.len());
        let mut next: u64 = 0;
        for v in &geo.villages {
            let kind = geo.townships[v.township].kind;
            let c = calibration[kind_index(kind)];
            // families = students × share of the village ÷ students per family.
            let num = u128::from(cfg.students) * u128::from(v.weight) * 1000;
            let den = u128::from(total_weight) * u128::from(c.total.max(1));
            let f = u64::try_from((num + den / 2) / den).unwrap_or(u64::MAX);
            let elderly = (f * elderly_per_mille(kind) + 500) / 1000;
            starts.push(u32::try_from(next).map_err(|_| too_big())?);
            families.push(u32::try_from(f).map_err(|_| too_big())?);
            next += f + elderly;
            load.push(StageLoad {
                preschool: f * c.load.preschool,
                primary: f * c.load.primary,
                junior: f * c.load.junior,
                senior: f * c.load.senior,
            });
        }
        // Person numbers (household × 16 + member) must fit the 9 digits
        // that bank numbers encode them in.
        if next >= 60_000_000 {
            return Err(too_big());
        }
        starts.push(u32::try_from(next).map_err(|_| too_big())?);
        let schools = SchoolPlan::build(cfg.seed, &geo, &load);
        let mut plan = Plan {
            seed: cfg.seed,
            term: cfg.term,
            geo,
            schools,
            areas,
            starts,
            families,
            school_students: Vec::new(),
            enrolled_household: Vec::new(),
            id_overrides: HashMap::new(),
        };
        plan.assign();
        Ok(plan)
    }

    /// The context household generation reads.
    pub(crate) fn ctx(&self) -> Ctx<'_> {
        Ctx {
            seed: self.seed,
            term: self.term,
            geo: &self.geo,
            schools: Some(&self.schools),
        }
    }

    /// Number of households.
    pub(crate) fn households(&self) -> u32 {
        self.starts.last().copied().unwrap_or(0)
    }

    /// The household range of a village.
    pub(crate) fn village_households(&self, village: usize) -> std::ops::Range<u32> {
        self.starts[village]..self.starts[village + 1]
    }

    /// The village of a household.
    pub(crate) fn village_of(&self, h: u32) -> usize {
        self.starts.partition_point(|s| *s <= h).saturating_sub(1)
    }

    /// Regenerates household `h`.
    pub(crate) fn household(&self, h: u32) -> Household {
        let v = self.village_of(h);
        let kind = if h - self.starts[v] < self.families[v] {
            HouseholdKind::Family
        } else {
            HouseholdKind::Elderly
        };
        household::generate(&self.ctx(), h, v, kind)
    }

    /// The (unique) ID number of member `m` of household `hh`, if any.
    pub(crate) fn id(&self, hh: &Household, m: usize) -> Result<Option<IdNumber>, GenError> {
        let member = &hh.members[m];
        if !member.has_id {
            return Ok(None);
        }
        let seq = self
            .id_overrides
            .get(&person_no(hh.index, m))
            .copied()
            .unwrap_or(member.id_seq);
        let area = &self.areas[usize::from(member.id_area)];
        IdNumber::from_parts(area, member.birth, seq)
            .map(Some)
            .map_err(|e| GenError::Internal {
                what: "身份证号",
                value: format!("{area}{}{seq:03}", member.birth.fmt_compact()),
                message: e.to_string(),
            })
    }

    /// The assignment pass: per-school student lists and unique IDs.
    fn assign(&mut self) {
        let mut school_students = vec![Vec::new(); self.schools.schools.len()];
        let mut enrolled_household = Vec::new();
        let mut ids = IdSpace::default();
        let mut overrides = HashMap::new();
        for h in 0..self.households() {
            let hh = self.household(h);
            for (m, member) in hh.members.iter().enumerate() {
                if member.has_id
                    && let Some(seq) = ids.claim(member.id_area, member.birth, member.id_seq)
                {
                    overrides.insert(person_no(h, m), seq);
                }
                if let Some(c) = &member.child
                    && let ChildStatus::Enrolled(p) = c.status
                {
                    let e = u32::try_from(enrolled_household.len()).unwrap_or(u32::MAX);
                    enrolled_household.push(h);
                    school_students[p.school as usize].push(e);
                }
            }
        }
        self.school_students = school_students;
        self.enrolled_household = enrolled_household;
        self.id_overrides = overrides;
    }
}

fn too_big() -> GenError {
    GenError::InvalidConfig {
        field: "students",
        message: "学生数过大，超出生成器的编号范围".to_string(),
    }
}

/// A person's number: household × 16 + member, unique in the county.
pub(crate) fn person_no(h: u32, m: usize) -> u64 {
    u64::from(h) * 16 + m as u64
}

fn kind_index(kind: TownshipKind) -> usize {
    match kind {
        TownshipKind::Subdistrict => 0,
        TownshipKind::Town => 1,
        _ => 2,
    }
}

/// Estimates in-county enrolment per family for each township kind by
/// generating sample households, so that the village household counts hit
/// the requested number of students whatever the demographic model says.
fn calibrate(cfg: &GenConfig, geo: &Geo) -> [Calibration; 3] {
    let ctx = Ctx {
        seed: cfg.seed,
        term: cfg.term,
        geo,
        schools: None,
    };
    let mut out = [Calibration::default(); 3];
    for (k, slot) in out.iter_mut().enumerate() {
        let Some(village) = geo
            .villages
            .iter()
            .find(|v| kind_index(geo.townships[v.township].kind) == k)
            .map(|v| v.index)
        else {
            continue;
        };
        let mut c = Calibration::default();
        for i in 0..CALIBRATION_HOUSEHOLDS {
            let mut rng = stream(cfg.seed, domain::CALIBRATE, (k as u64) << 32 | u64::from(i));
            let hh = household::generate_with(&ctx, &mut rng, i, village, HouseholdKind::Family);
            for m in &hh.members {
                if let Some(ch) = &m.child
                    && let ChildStatus::Enrolled(p) = ch.status
                    && p.mode != StudyMode::OutOfCounty
                {
                    c.total += 1;
                    match p.stage {
                        Stage::Preschool => c.load.preschool += 1,
                        Stage::Primary => c.load.primary += 1,
                        Stage::Junior => c.load.junior += 1,
                        Stage::SeniorHigh => c.load.senior += 1,
                        _ => {}
                    }
                }
            }
        }
        // Per family, in thousandths.
        let n = u64::from(CALIBRATION_HOUSEHOLDS);
        let per = |x: u64| (x * 1000 + n / 2) / n;
        *slot = Calibration {
            total: per(c.total),
            load: StageLoad {
                preschool: per(c.load.preschool),
                primary: per(c.load.primary),
                junior: per(c.load.junior),
                senior: per(c.load.senior),
            },
        };
    }
    out
}

/// First day covered by the ID bitmaps, in days since core's epoch.
fn day_index(d: Date) -> u64 {
    let base = Date::new(1900, 1, 1)
        .map(|b| b.days_since_epoch())
        .unwrap_or(-25_567);
    u64::try_from(d.days_since_epoch() - base).unwrap_or(0)
}

/// Days covered by a dense bitmap: 1900-01-01 to the end of 2030.
const DENSE_DAYS: u64 = 47_847;

/// Above this many IDs an area switches from a hash set to a bitmap
/// (about 6 MB), which is smaller and faster for the county's own code.
const DENSE_THRESHOLD: usize = 200_000;

enum AreaSet {
    Sparse(HashSet<u64>),
    Dense(Vec<u64>),
}

/// Which (area, birth date, sequence) triples are taken.
#[derive(Default)]
struct IdSpace {
    areas: HashMap<u16, AreaSet>,
}

impl IdSpace {
    /// Claims the natural sequence; returns the sequence actually given when
    /// it had to move (to the next free one of the same parity, i.e. sex).
    fn claim(&mut self, area: u16, birth: Date, seq: u16) -> Option<u16> {
        let day = day_index(birth);
        let set = self
            .areas
            .entry(area)
            .or_insert_with(|| AreaSet::Sparse(HashSet::new()));
        if let AreaSet::Sparse(s) = set
            && s.len() > DENSE_THRESHOLD
        {
            let mut bits = vec![0u64; (DENSE_DAYS * 1000).div_ceil(64) as usize];
            for k in s.iter() {
                bits[(*k / 64) as usize] |= 1 << (*k % 64);
            }
            *set = AreaSet::Dense(bits);
        }
        let mut s = seq;
        for _ in 0..500 {
            let key = day * 1000 + u64::from(s);
            let free = match set {
                AreaSet::Sparse(h) => h.insert(key),
                AreaSet::Dense(bits) if day < DENSE_DAYS => {
                    let (w, b) = ((key / 64) as usize, key % 64);
                    let free = bits[w] & (1 << b) == 0;
                    bits[w] |= 1 << b;
                    free
                }
                // Outside the bitmap's years nobody else can collide often
                // enough to matter; accept the natural sequence.
                AreaSet::Dense(_) => true,
            };
            if free {
                return (s != seq).then_some(s);
            }
            s = (s + 2) % 1000;
        }
        None
    }
}
