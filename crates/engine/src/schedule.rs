//! Report schedules: standard five-field cron expressions (minute, hour, day of month, month,
//! day of week), as Kubernetes CronJobs and Calico's `GlobalReport` take them. kubecomply
//! validates and records a schedule; running it is left to a future service.

/// One field's name, range and value names.
struct FieldSpec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const FIELDS: [FieldSpec; 5] = [
    FieldSpec {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    FieldSpec {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    FieldSpec {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
    },
    FieldSpec {
        name: "month",
        min: 1,
        max: 12,
        names: &[
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ],
    },
    FieldSpec {
        name: "day of week",
        min: 0,
        max: 6,
        names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    },
];

/// The descriptors that stand for a whole expression.
const DESCRIPTORS: &[(&str, &str)] = &[
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

/// A validated schedule: the five fields expanded to the values they select.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// The expression as written.
    pub expression: String,
    /// The minutes of the hour it runs at.
    pub minutes: Vec<u32>,
}

fn value(s: &str, f: &FieldSpec) -> Result<u32, String> {
    if let Some(i) = f.names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Ok(f.min + i as u32);
    }
    let n: u32 = s
        .parse()
        .map_err(|_| format!("{}: {s:?} is not a number", f.name))?;
    if n < f.min || n > f.max {
        return Err(format!(
            "{}: {n} is out of range ({}-{})",
            f.name, f.min, f.max
        ));
    }
    Ok(n)
}

/// The values one field selects (sorted, without duplicates).
fn expand(field: &str, f: &FieldSpec) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .map_err(|_| format!("{}: step {s:?} is not a number", f.name))?;
                if step == 0 {
                    return Err(format!("{}: a step of 0", f.name));
                }
                (r, step)
            }
            None => (item, 1),
        };
        let (lo, hi) = if range == "*" || range == "?" {
            (f.min, f.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (value(a, f)?, value(b, f)?);
            if a > b {
                return Err(format!("{}: range {range:?} ends before it starts", f.name));
            }
            (a, b)
        } else {
            let a = value(range, f)?;
            // `5/15` means from 5 to the end, every 15.
            if step > 1 { (a, f.max) } else { (a, a) }
        };
        out.extend((lo..=hi).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

impl Schedule {
    /// Parses and validates a cron expression.
    pub fn parse(expression: &str) -> Result<Schedule, String> {
        let e = expression.trim();
        let resolved = DESCRIPTORS
            .iter()
            .find(|(d, _)| d.eq_ignore_ascii_case(e))
            .map_or(e, |(_, x)| x);
        if resolved.starts_with('@') {
            return Err(format!(
                "unknown descriptor {e:?} (@yearly, @monthly, @weekly, @daily, @hourly)"
            ));
        }
        let fields: Vec<&str> = resolved.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "{e:?} has {} fields; a cron expression has 5: minute hour day-of-month month day-of-week",
                fields.len()
            ));
        }
        let mut minutes = Vec::new();
        for (i, (field, spec)) in fields.iter().zip(FIELDS.iter()).enumerate() {
            if field.is_empty() || field.split(',').any(str::is_empty) {
                return Err(format!("{}: empty value", spec.name));
            }
            if *field == "?" && i != 2 && i != 4 {
                return Err(format!(
                    "{}: `?` is only allowed for the day fields",
                    spec.name
                ));
            }
            let values = expand(field, spec)?;
            if i == 0 {
                minutes = values;
            }
        }
        Ok(Schedule {
            expression: e.to_string(),
            minutes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_expressions() {
        for e in [
            "0 0 * * 0",
            "0 * * * *",
            "*/15 6-18 1,15 jan-jun MON-FRI",
            "30 2 ? * 1",
            "@weekly",
            "5/20 * * * *",
        ] {
            assert!(Schedule::parse(e).is_ok(), "{e}");
        }
        assert_eq!(
            Schedule::parse("0,30 * * * *").map(|s| s.minutes),
            Ok(vec![0, 30])
        );
        assert_eq!(
            Schedule::parse("5/20 * * * *").map(|s| s.minutes),
            Ok(vec![5, 25, 45])
        );
    }

    #[test]
    fn invalid_expressions_say_why() {
        for (e, why) in [
            ("0 0 * *", "has 4 fields"),
            ("60 * * * *", "minute: 60 is out of range"),
            ("0 24 * * *", "hour: 24 is out of range"),
            ("0 0 0 * *", "day of month: 0 is out of range"),
            ("0 0 * 13 *", "month: 13"),
            ("0 0 * * 7", "day of week: 7"),
            ("*/0 * * * *", "a step of 0"),
            ("5-1 * * * *", "ends before it starts"),
            ("@often", "unknown descriptor"),
            ("a * * * *", "not a number"),
            ("? * * * *", "only allowed for the day fields"),
            ("1,,2 * * * *", "empty value"),
        ] {
            match Schedule::parse(e) {
                Ok(_) => panic!("{e} accepted"),
                Err(m) => assert!(m.contains(why), "{e}: {m}"),
            }
        }
    }
}
