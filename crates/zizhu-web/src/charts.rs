//! Charts as SVG written on the server: no JavaScript, no fonts to embed
//! (the browser draws the text with its own Chinese font), a few kilobytes
//! over a slow link, and printable.
//!
//! Every label is escaped here, because the output is inserted into pages
//! unescaped and names come from imported lists.

use std::fmt::Write;

/// The colours of the series, in order; they print legibly in grey too.
const COLOURS: [&str; 3] = ["#2f6fb0", "#d9822b", "#6a9f3a"];

/// Escapes text for SVG (XML) content and attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The axis of values up to `max`: a round step (1, 2 or 5 times a power
/// of ten) giving at most five intervals, and the top of the axis, a
/// multiple of the step, so grid lines fall on round numbers evenly spaced.
fn axis(max: i64) -> (i64, i64) {
    let max = max.max(1);
    let mut power = 1_i64;
    loop {
        for m in [1, 2, 5] {
            let step = power.saturating_mul(m);
            if step.saturating_mul(5) >= max {
                let top = step.saturating_mul((max + step - 1) / step);
                return (step, top);
            }
        }
        power = power.saturating_mul(10);
    }
}

/// Scales `v` of `max` to `len` pixels, in integers (no float arithmetic).
fn scale(v: i64, max: i64, len: i64) -> i64 {
    if max <= 0 {
        0
    } else {
        v.max(0).saturating_mul(len) / max
    }
}

/// One named series of values, one per category.
pub(crate) struct Series<'a> {
    pub(crate) name: &'a str,
    pub(crate) values: Vec<i64>,
}

/// A grouped vertical bar chart: categories along the bottom, one bar per
/// series in each, the value above every bar.
pub(crate) fn bars(title: &str, categories: &[String], series: &[Series<'_>]) -> String {
    let width: i64 = 640;
    let height: i64 = 300;
    let (left, right, top, bottom) = (48_i64, 16_i64, 40_i64, 48_i64);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let (step, max) = axis(
        series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .max()
            .unwrap_or(0),
    );
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{t}" class="chart"><title>{t}</title>"#,
        t = esc(title)
    );
    let _ = write!(
        svg,
        r#"<text x="{left}" y="18" class="chart-title">{}</text>"#,
        esc(title)
    );
    // Legend, right-aligned on the title line.
    let mut lx = width - right;
    for (i, s) in series.iter().enumerate().rev() {
        let w = 22 + 13 * i64::try_from(s.name.chars().count()).unwrap_or(0);
        lx -= w;
        let _ = write!(
            svg,
            r#"<rect x="{lx}" y="9" width="10" height="10" fill="{c}"/><text x="{tx}" y="18" class="chart-legend">{n}</text>"#,
            c = COLOURS[i % COLOURS.len()],
            tx = lx + 14,
            n = esc(s.name)
        );
    }
    // Grid lines at every step of the axis.
    for q in 0..=max / step {
        let v = q * step;
        let y = top + plot_h - scale(v, max, plot_h);
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{y}" x2="{x2}" y2="{y}" stroke="#ddd"/><text x="{tx}" y="{ty}" text-anchor="end" class="chart-axis">{v}</text>"##,
            x2 = width - right,
            tx = left - 6,
            ty = y + 4
        );
    }
    let n = i64::try_from(categories.len()).unwrap_or(1).max(1);
    let k = i64::try_from(series.len()).unwrap_or(1).max(1);
    let band = plot_w / n;
    let bar = ((band - 12) / k).clamp(4, 48);
    for (ci, cat) in categories.iter().enumerate() {
        let ci = i64::try_from(ci).unwrap_or(0);
        let x0 = left + ci * band + (band - bar * k) / 2;
        for (si, s) in series.iter().enumerate() {
            let v = s
                .values
                .get(usize::try_from(ci).unwrap_or(0))
                .copied()
                .unwrap_or(0);
            let h = scale(v, max, plot_h);
            let x = x0 + i64::try_from(si).unwrap_or(0) * bar;
            let y = top + plot_h - h;
            let _ = write!(
                svg,
                r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}"><title>{cat}·{name}：{v}</title></rect><text x="{tx}" y="{ty}" text-anchor="middle" class="chart-value">{v}</text>"#,
                w = bar - 2,
                c = COLOURS[si % COLOURS.len()],
                cat = esc(cat),
                name = esc(s.name),
                tx = x + (bar - 2) / 2,
                ty = y - 4
            );
        }
        // A label wider than its band is cut (12 px a character) so that
        // neighbours do not overlap; the bar's tooltip has the whole name.
        let fits = usize::try_from(band / 12).unwrap_or(1).max(2);
        let shown: String = if cat.chars().count() > fits {
            cat.chars()
                .take(fits - 1)
                .chain(std::iter::once('…'))
                .collect()
        } else {
            cat.clone()
        };
        let _ = write!(
            svg,
            r#"<text x="{tx}" y="{ty}" text-anchor="middle" class="chart-label">{}</text>"#,
            esc(&shown),
            tx = left + ci * band + band / 2,
            ty = top + plot_h + 18
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="{left}" y1="{y}" x2="{x2}" y2="{y}" stroke="#555"/></svg>"##,
        y = top + plot_h,
        x2 = width - right
    );
    svg
}

/// A horizontal bar chart for long names (townships, schools), largest
/// first, at most `limit` rows.
pub(crate) fn hbars(title: &str, items: &[(String, i64)], limit: usize) -> String {
    let mut items: Vec<&(String, i64)> = items.iter().collect();
    items.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    items.truncate(limit);
    let width: i64 = 640;
    let row: i64 = 22;
    let (label_w, top, right) = (180_i64, 32_i64, 56_i64);
    let rows = i64::try_from(items.len()).unwrap_or(0);
    let height = top + rows.max(1) * row + 12;
    let plot_w = width - label_w - right;
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{t}" class="chart"><title>{t}</title><text x="4" y="18" class="chart-title">{t}</text>"#,
        t = esc(title)
    );
    if items.is_empty() {
        let _ = write!(
            svg,
            r#"<text x="4" y="{y}" class="chart-label">暂无数据</text>"#,
            y = top + 14
        );
    }
    for (i, (name, v)) in items.iter().enumerate() {
        let y = top + i64::try_from(i).unwrap_or(0) * row;
        let w = scale(*v, max, plot_w).max(1);
        let shown: String = if name.chars().count() > 13 {
            name.chars().take(12).chain(std::iter::once('…')).collect()
        } else {
            name.clone()
        };
        let _ = write!(
            svg,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" class="chart-label">{label}</text><rect x="{label_w}" y="{ry}" width="{w}" height="{h}" fill="{c}"><title>{full}：{v}</title></rect><text x="{vx}" y="{ty}" class="chart-value">{v}</text>"#,
            lx = label_w - 6,
            ty = y + 15,
            label = esc(&shown),
            ry = y + 3,
            h = row - 6,
            c = COLOURS[0],
            full = esc(name),
            vx = label_w + w + 4
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A grouped horizontal bar chart for categories with long names
/// (policies): one row of bars per category in the given order, one bar
/// per series, the whole name on the left, the legend under the title.
pub(crate) fn hbars_grouped(title: &str, categories: &[String], series: &[Series<'_>]) -> String {
    let width: i64 = 640;
    let bar: i64 = 13;
    let k = i64::try_from(series.len()).unwrap_or(1).max(1);
    let band = k * bar + 10;
    let (label_w, top, right) = (260_i64, 44_i64, 56_i64);
    let n = i64::try_from(categories.len()).unwrap_or(0);
    let height = top + n.max(1) * band + 8;
    let plot_w = width - label_w - right;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{t}" class="chart"><title>{t}</title><text x="4" y="18" class="chart-title">{t}</text>"#,
        t = esc(title)
    );
    let mut lx = 4_i64;
    for (i, s) in series.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<rect x="{lx}" y="26" width="10" height="10" fill="{c}"/><text x="{tx}" y="35" class="chart-legend">{n}</text>"#,
            c = COLOURS[i % COLOURS.len()],
            tx = lx + 14,
            n = esc(s.name)
        );
        lx += 30 + 13 * i64::try_from(s.name.chars().count()).unwrap_or(0);
    }
    if categories.is_empty() {
        let _ = write!(
            svg,
            r#"<text x="4" y="{y}" class="chart-label">暂无数据</text>"#,
            y = top + 14
        );
    }
    for (ci, cat) in categories.iter().enumerate() {
        let y0 = top + i64::try_from(ci).unwrap_or(0) * band;
        // 20 characters fit the label column at 12 px; longer names are
        // cut and whole in the tooltip.
        let shown: String = if cat.chars().count() > 20 {
            cat.chars().take(19).chain(std::iter::once('…')).collect()
        } else {
            cat.clone()
        };
        let _ = write!(
            svg,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" class="chart-label">{label}</text>"#,
            lx = label_w - 6,
            ty = y0 + band / 2 + 4,
            label = esc(&shown)
        );
        for (si, s) in series.iter().enumerate() {
            let v = s.values.get(ci).copied().unwrap_or(0);
            let w = scale(v, max, plot_w);
            let y = y0 + 5 + i64::try_from(si).unwrap_or(0) * bar;
            let _ = write!(
                svg,
                r#"<rect x="{label_w}" y="{y}" width="{w}" height="{h}" fill="{c}"><title>{full}·{name}：{v}</title></rect><text x="{vx}" y="{ty}" class="chart-value">{v}</text>"#,
                h = bar - 2,
                c = COLOURS[si % COLOURS.len()],
                full = esc(cat),
                name = esc(s.name),
                vx = label_w + w + 4,
                ty = y + bar - 3
            );
        }
    }
    let _ = write!(
        svg,
        r##"<line x1="{label_w}" y1="{top}" x2="{label_w}" y2="{y2}" stroke="#555"/></svg>"##,
        y2 = height - 8
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_are_round_and_evenly_stepped() {
        for (v, step, top) in [
            (0, 1, 1),
            (1, 1, 1),
            (3, 1, 3),
            (7, 2, 8),
            (11, 5, 15),
            (420, 100, 500),
            (1504, 500, 2000),
            (150_000, 50_000, 150_000),
        ] {
            assert_eq!(axis(v), (step, top), "{v}");
        }
    }

    #[test]
    fn labels_are_escaped() {
        let svg = bars(
            "<script>",
            &["a&b".to_owned()],
            &[Series {
                name: "\"x\"",
                values: vec![3],
            }],
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("a&amp;b"));
        let h = hbars("t", &[("<b>".to_owned(), 1)], 5);
        assert!(h.contains("&lt;b&gt;") && !h.contains("<b>"));
        let h = hbars_grouped(
            "t",
            &["<b>".to_owned()],
            &[Series {
                name: "x",
                values: vec![1],
            }],
        );
        assert!(h.contains("&lt;b&gt;") && !h.contains("<b>"));
    }

    #[test]
    fn bars_are_proportional() {
        let svg = bars(
            "学段",
            &["小学".to_owned(), "初中".to_owned()],
            &[Series {
                name: "在校",
                values: vec![100, 50],
            }],
        );
        // max 100 over a 212-pixel plot: heights 212 and 106.
        assert!(svg.contains(r#"height="212""#), "{svg}");
        assert!(svg.contains(r#"height="106""#), "{svg}");
    }
}
