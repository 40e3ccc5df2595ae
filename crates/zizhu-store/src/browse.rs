//! Scoped reads for browsing the registry: the pages of the web
//! application and anything else that shows one user a part of the county.
//!
//! Every function here takes the reader's [`Scope`] and applies it in SQL.
//! A record outside the scope is indistinguishable from a record that does
//! not exist (`None`), so a page that looks a record up by id cannot tell a
//! school officer whether another school's student exists.
//!
//! Who sees a person: the county sees everyone; a township sees persons with
//! an enrollment at one of its schools in any term, and members of the
//! households living in it (the out-of-school children of its villages are
//! its cases, 校长包村); a school or class sees persons enrolled there in any
//! term, so a student who left keeps their history visible to the school
//! that taught them.

use crate::codec;
use crate::db::{Cell, Kind};
use crate::error::StoreError;
use crate::read::{
    PovertyFilter, Scope, StudentFilter, StudentGroup, apply_student_filter, enrollments_in_scope,
    select_prefixed,
};
use crate::records::*;
use crate::schema;
use crate::store::Store;
use crate::write::select_all;
use sea_query::{Expr, ExprTrait, Func, JoinType, LikeExpr, Order, Query, SelectStatement};
use std::collections::HashMap;
use zizhu_core::Term;

/// Narrows [`Store::list_households`]. Unset fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HouseholdFilter {
    /// Only households with this hardship.
    pub poverty: Option<PovertyFilter>,
    /// Only households whose 户编号 starts with this text.
    pub household_no: Option<String>,
    /// Only households living in this township (9-digit code).
    pub township_code: Option<String>,
}

/// The scope labels stored with a user or an uploaded batch.
pub(crate) const SCOPE_ALL: &str = "全县";
pub(crate) const SCOPE_TOWNSHIP: &str = "乡镇";
pub(crate) const SCOPE_SCHOOL: &str = "学校";
pub(crate) const SCOPE_CLASSES: &str = "班级";

/// `EXISTS (an enrollment of person <person_col> within the scope)`.
fn enrolled_in_scope(person_col: (&'static str, &'static str), scope: &Scope) -> Expr {
    let mut sub = Query::select();
    sub.expr(Expr::val(1))
        .from_as("enrollments", "e")
        .join_as(
            JoinType::LeftJoin,
            "schools",
            "s",
            Expr::col(("s", "code")).equals(("e", "school_code")),
        )
        .and_where(Expr::col(("e", "person_id")).equals(person_col))
        .and_where_option(scope.condition());
    Expr::exists(sub)
}

/// `region_code LIKE '<township>%'`. The township code was checked to be
/// nine digits, so it holds no wildcard; it is bound as a parameter anyway.
fn lives_in(region_col: (&'static str, &'static str), township: &str) -> Expr {
    Expr::col(region_col).like(format!("{township}%"))
}

/// The condition under which household `h` is visible in `scope`.
fn household_condition(scope: &Scope) -> Option<Expr> {
    let members_enrolled = || {
        let mut sub = Query::select();
        sub.expr(Expr::val(1))
            .from_as("persons", "m")
            .join_as(
                JoinType::InnerJoin,
                "enrollments",
                "e",
                Expr::col(("e", "person_id")).equals(("m", "id")),
            )
            .join_as(
                JoinType::LeftJoin,
                "schools",
                "s",
                Expr::col(("s", "code")).equals(("e", "school_code")),
            )
            .and_where(Expr::col(("m", "household_id")).equals(("h", "id")))
            .and_where_option(scope.condition());
        Expr::exists(sub)
    };
    match scope {
        Scope::All => None,
        Scope::Township(t) => Some(lives_in(("h", "region_code"), t).or(members_enrolled())),
        Scope::School(_) | Scope::Classes { .. } => Some(members_enrolled()),
    }
}

/// The condition under which person `p` is visible in `scope`.
fn person_condition(scope: &Scope) -> Option<Expr> {
    match scope {
        Scope::All => None,
        Scope::Township(t) => {
            let mut households = Query::select();
            households
                .column(("hh", "id"))
                .from_as("households", "hh")
                .and_where(lives_in(("hh", "region_code"), t));
            Some(
                enrolled_in_scope(("p", "id"), scope)
                    .or(Expr::col(("p", "household_id")).in_subquery(households)),
            )
        }
        Scope::School(_) | Scope::Classes { .. } => Some(enrolled_in_scope(("p", "id"), scope)),
    }
}

/// The condition under which batch `b` (left-joined with its upload `u`) is
/// visible in `scope`.
fn batch_condition(scope: &Scope) -> Option<Expr> {
    match scope {
        Scope::All => None,
        Scope::Township(t) => {
            let mut schools = Query::select();
            schools
                .column("code")
                .from("schools")
                .and_where(Expr::col("township_code").eq(t.as_str()));
            Some(
                Expr::col(("u", "scope_kind"))
                    .eq(SCOPE_TOWNSHIP)
                    .and(Expr::col(("u", "scope_code")).eq(t.as_str()))
                    .or(Expr::col(("u", "scope_kind"))
                        .eq(SCOPE_SCHOOL)
                        .and(Expr::col(("u", "scope_code")).in_subquery(schools))),
            )
        }
        Scope::School(c) => Some(
            Expr::col(("u", "scope_kind"))
                .eq(SCOPE_SCHOOL)
                .and(Expr::col(("u", "scope_code")).eq(c.as_str())),
        ),
        // A class teacher reads their classes, not the school's imports,
        // which carry every class's rows and rejection reports.
        Scope::Classes { .. } => Some(Expr::val(false)),
    }
}

fn batches_in_scope(scope: &Scope) -> SelectStatement {
    let mut q = Query::select();
    q.from_as("import_batches", "b")
        .join_as(
            JoinType::LeftJoin,
            "batch_uploads",
            "u",
            Expr::col(("u", "batch_id")).equals(("b", "id")),
        )
        .and_where_option(batch_condition(scope));
    q
}

fn text_cell(row: &crate::db::DbRow, column: &str) -> Result<String, StoreError> {
    Ok(match row.cell(column, Kind::Text)? {
        Cell::Text(s) => s,
        _ => String::new(),
    })
}

impl Store {
    /// How many students of a term the scope holds, narrowed by `filter`,
    /// counted by the database (see [`Store::count_students`]).
    pub(crate) async fn count_students_uncached(
        &self,
        term: &Term,
        scope: &Scope,
        filter: &StudentFilter,
    ) -> Result<i64, StoreError> {
        let mut q = enrollments_in_scope(term, scope)?;
        q.join_as(
            JoinType::InnerJoin,
            "persons",
            "p",
            Expr::col(("p", "id")).equals(("e", "person_id")),
        );
        apply_student_filter(&mut q, filter)?;
        q.expr_as(Func::count(Expr::col(("e", "id"))), "n");
        self.count(&q, "统计学生数").await
    }

    /// A term's students in the scope, narrowed by `filter`, counted per
    /// group by the database (see [`Store::student_counts`]).
    pub(crate) async fn student_counts_uncached(
        &self,
        term: &Term,
        scope: &Scope,
        filter: &StudentFilter,
        by: StudentGroup,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let mut q = enrollments_in_scope(term, scope)?;
        q.join_as(
            JoinType::InnerJoin,
            "persons",
            "p",
            Expr::col(("p", "id")).equals(("e", "person_id")),
        );
        apply_student_filter(&mut q, filter)?;
        let key = match by {
            StudentGroup::Stage => ("e", "stage"),
            StudentGroup::Township => ("s", "township_code"),
            StudentGroup::School => ("e", "school_code"),
            StudentGroup::Status => ("e", "status"),
        };
        q.expr_as(Expr::col(key), "k")
            .expr_as(Func::count(Expr::col(("e", "id"))), "n")
            .group_by_col(key)
            .order_by(key, Order::Asc);
        self.read_all(&q, "分组统计学生数")
            .await?
            .iter()
            .map(|r| Ok((text_cell(r, "k")?, r.int("n")?)))
            .collect()
    }

    /// Every term that has enrollments, newest first, from the database
    /// (see [`Store::terms`]).
    pub(crate) async fn terms_uncached(&self) -> Result<Vec<Term>, StoreError> {
        let q = Query::select()
            .distinct()
            .column("term")
            .from("enrollments")
            .order_by("term", Order::Desc)
            .to_owned();
        self.read_all(&q, "查询学期")
            .await?
            .iter()
            .map(|r| {
                let code = text_cell(r, "term")?;
                Term::parse(&code).map_err(|e| StoreError::Corrupt {
                    table: "enrollments",
                    column: "term".into(),
                    value: code.clone(),
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    /// The schools the scope covers, by township and code, from the
    /// directory kept between registry changes.
    pub async fn list_schools(&self, scope: &Scope) -> Result<Vec<School>, StoreError> {
        scope.check()?;
        Ok(self
            .all_schools()
            .await?
            .iter()
            .filter(|s| s.in_scope(scope))
            .cloned()
            .collect())
    }

    /// The schools the scope covers, by township and code, from the
    /// database.
    pub(crate) async fn list_schools_uncached(
        &self,
        scope: &Scope,
    ) -> Result<Vec<School>, StoreError> {
        let mut q = select_all(&schema::SCHOOLS);
        match scope {
            Scope::All => {}
            Scope::Township(t) => {
                q.and_where(Expr::col("township_code").eq(t.as_str()));
            }
            Scope::School(c) | Scope::Classes { school: c, .. } => {
                q.and_where(Expr::col("code").eq(c.as_str()));
            }
        }
        q.order_by("township_code", Order::Asc)
            .order_by("code", Order::Asc);
        self.read_snapshots(&schema::SCHOOLS, &q, "查询学校名录")
            .await?
            .iter()
            .map(codec::school_from)
            .collect()
    }

    /// The school with this code, if the scope covers it.
    pub async fn school_in_scope(
        &self,
        code: &str,
        scope: &Scope,
    ) -> Result<Option<School>, StoreError> {
        let covered = match scope {
            Scope::All | Scope::Township(_) => true,
            Scope::School(c) | Scope::Classes { school: c, .. } => c == code,
        };
        if !covered {
            return Ok(None);
        }
        let mut q = select_all(&schema::SCHOOLS);
        q.and_where(Expr::col("code").eq(code));
        if let Scope::Township(t) = scope {
            q.and_where(Expr::col("township_code").eq(t.as_str()));
        }
        let rows = self
            .read_snapshots(&schema::SCHOOLS, &q, "查询学校")
            .await?;
        rows.first().map(codec::school_from).transpose()
    }

    /// The names of regions by code. A 9-digit township code also finds a
    /// township stored under its 12-digit statistical form (`…000`), and is
    /// answered under the code it was asked by.
    pub async fn region_names(
        &self,
        codes: &[&str],
    ) -> Result<HashMap<String, String>, StoreError> {
        let mut wanted: Vec<String> = Vec::new();
        for c in codes {
            wanted.push((*c).to_string());
            if c.len() == 9 {
                wanted.push(format!("{c}000"));
            }
        }
        wanted.sort();
        wanted.dedup();
        let mut names = HashMap::new();
        // Chunked so that a long list never exceeds a backend's limit on
        // bound parameters.
        for chunk in wanted.chunks(500) {
            let q = Query::select()
                .columns(["code", "name"])
                .from("regions")
                .and_where(Expr::col("code").is_in(chunk.iter().map(String::as_str)))
                .to_owned();
            for r in self.read_all(&q, "查询区划名称").await? {
                let code = text_cell(&r, "code")?;
                let name = text_cell(&r, "name")?;
                let key = match code.strip_suffix("000") {
                    Some(t) if code.len() == 12 && codes.contains(&t) => t.to_string(),
                    _ => code,
                };
                names.entry(key).or_insert(name);
            }
        }
        Ok(names)
    }

    /// The person with this id, if the scope may see them.
    pub async fn person_in_scope(
        &self,
        id: i64,
        scope: &Scope,
    ) -> Result<Option<Person>, StoreError> {
        scope.check()?;
        let mut q = Query::select();
        q.from_as("persons", "p")
            .and_where(Expr::col(("p", "id")).eq(id))
            .and_where_option(person_condition(scope));
        select_prefixed(&mut q, &schema::PERSONS, "p", "");
        let rows = self
            .read_snapshots(&schema::PERSONS, &q, "查询人员")
            .await?;
        rows.first().map(codec::person_from).transpose()
    }

    /// The household with this id, if the scope may see it.
    pub async fn household_in_scope(
        &self,
        id: i64,
        scope: &Scope,
    ) -> Result<Option<Household>, StoreError> {
        scope.check()?;
        let mut q = Query::select();
        q.from_as("households", "h")
            .and_where(Expr::col(("h", "id")).eq(id))
            .and_where_option(household_condition(scope));
        select_prefixed(&mut q, &schema::HOUSEHOLDS, "h", "");
        let rows = self
            .read_snapshots(&schema::HOUSEHOLDS, &q, "查询家庭户")
            .await?;
        rows.first().map(codec::household_from).transpose()
    }

    fn households_query(
        scope: &Scope,
        filter: &HouseholdFilter,
    ) -> Result<SelectStatement, StoreError> {
        scope.check()?;
        let mut q = Query::select();
        q.from_as("households", "h")
            .and_where_option(household_condition(scope));
        if let Some(p) = filter.poverty {
            q.and_where(p.condition());
        }
        if let Some(no) = filter.household_no.as_deref().map(str::trim)
            && !no.is_empty()
        {
            let escaped: String = no
                .chars()
                .flat_map(|c| match c {
                    '%' | '_' | '\\' => vec!['\\', c],
                    c => vec![c],
                })
                .collect();
            q.and_where(
                Expr::col(("h", "household_no"))
                    .like(LikeExpr::new(format!("{escaped}%")).escape('\\')),
            );
        }
        if let Some(t) = &filter.township_code {
            Scope::Township(t.clone()).check()?;
            q.and_where(lives_in(("h", "region_code"), t));
        }
        Ok(q)
    }

    /// Households the scope may see, narrowed by `filter`, by id, one page
    /// at a time.
    pub async fn list_households(
        &self,
        scope: &Scope,
        filter: &HouseholdFilter,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<Household>, StoreError> {
        let mut q = Self::households_query(scope, filter)?;
        select_prefixed(&mut q, &schema::HOUSEHOLDS, "h", "");
        q.order_by(("h", "id"), Order::Asc)
            .limit(limit)
            .offset(offset);
        self.read_snapshots(&schema::HOUSEHOLDS, &q, "查询家庭户名单")
            .await?
            .iter()
            .map(codec::household_from)
            .collect()
    }

    /// How many households the scope may see, narrowed by `filter`.
    pub async fn count_households_in(
        &self,
        scope: &Scope,
        filter: &HouseholdFilter,
    ) -> Result<i64, StoreError> {
        let mut q = Self::households_query(scope, filter)?;
        q.expr_as(Func::count(Expr::col(("h", "id"))), "n");
        self.count(&q, "统计家庭户数").await
    }

    /// The members of a household the scope may see, and how many others
    /// the household has. The caller has already found the household in the
    /// scope; a member enrolled elsewhere stays hidden all the same.
    pub async fn household_members(
        &self,
        household_id: i64,
        scope: &Scope,
    ) -> Result<(Vec<Person>, i64), StoreError> {
        scope.check()?;
        let mut all = Query::select();
        all.expr_as(Func::count(Expr::col("id")), "n")
            .from("persons")
            .and_where(Expr::col("household_id").eq(household_id));
        let total = self.count(&all, "统计家庭成员").await?;
        let mut q = Query::select();
        q.from_as("persons", "p")
            .and_where(Expr::col(("p", "household_id")).eq(household_id))
            .and_where_option(person_condition(scope))
            .order_by(("p", "birth_date"), Order::Asc)
            .order_by(("p", "id"), Order::Asc);
        select_prefixed(&mut q, &schema::PERSONS, "p", "");
        let members = self
            .read_snapshots(&schema::PERSONS, &q, "查询家庭成员")
            .await?
            .iter()
            .map(codec::person_from)
            .collect::<Result<Vec<_>, _>>()?;
        let hidden = total - i64::try_from(members.len()).unwrap_or(i64::MAX);
        Ok((members, hidden))
    }

    /// Households by id, for the households of students a page already
    /// shows (their poverty status in a list); not scoped, so callers pass
    /// only ids taken from scoped reads.
    pub async fn households_by_ids(&self, ids: &[i64]) -> Result<Vec<Household>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let mut q = select_all(&schema::HOUSEHOLDS);
            q.and_where(Expr::col("id").is_in(chunk.iter().copied()));
            for s in self
                .read_snapshots(&schema::HOUSEHOLDS, &q, "查询家庭户")
                .await?
            {
                out.push(codec::household_from(&s)?);
            }
        }
        Ok(out)
    }

    /// The import batch with this id, if the scope may see it.
    pub async fn batch_in_scope(
        &self,
        id: i64,
        scope: &Scope,
    ) -> Result<Option<Batch>, StoreError> {
        scope.check()?;
        let mut q = batches_in_scope(scope);
        q.and_where(Expr::col(("b", "id")).eq(id));
        select_prefixed(&mut q, &schema::IMPORT_BATCHES, "b", "");
        let rows = self
            .read_snapshots(&schema::IMPORT_BATCHES, &q, "查询导入批次")
            .await?;
        rows.first().map(codec::batch_from).transpose()
    }

    /// Import batches the scope may see, newest first, one page at a time.
    pub async fn list_batches_in_scope(
        &self,
        scope: &Scope,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<Batch>, StoreError> {
        scope.check()?;
        let mut q = batches_in_scope(scope);
        select_prefixed(&mut q, &schema::IMPORT_BATCHES, "b", "");
        q.order_by(("b", "id"), Order::Desc)
            .limit(limit)
            .offset(offset);
        self.read_snapshots(&schema::IMPORT_BATCHES, &q, "查询导入批次")
            .await?
            .iter()
            .map(codec::batch_from)
            .collect()
    }

    /// How many import batches the scope may see.
    pub async fn count_batches_in_scope(&self, scope: &Scope) -> Result<i64, StoreError> {
        scope.check()?;
        let mut q = batches_in_scope(scope);
        q.expr_as(Func::count(Expr::col(("b", "id"))), "n");
        self.count(&q, "统计导入批次").await
    }
}

impl School {
    /// Whether the school lies in `scope`: all of them for the county, a
    /// township's, or the one school of a school officer or class teacher.
    pub fn in_scope(&self, scope: &Scope) -> bool {
        match scope {
            Scope::All => true,
            Scope::Township(t) => self.township_code.as_deref() == Some(t.as_str()),
            Scope::School(c) | Scope::Classes { school: c, .. } => self.record.code.as_str() == c,
        }
    }
}
