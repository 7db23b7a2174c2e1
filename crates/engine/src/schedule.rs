//! Report schedules: standard five-field cron expressions (minute, hour, day of month, month,
//! day of week) and the `@` descriptors, as Kubernetes CronJobs and Calico's `GlobalReport`
//! take them (both use robfig/cron's standard parser). `croner` parses and evaluates them;
//! this module narrows its dialect to what those parsers accept and names the field at fault.
//! kubecomply validates and records a schedule and computes its next runs; running it is left
//! to a future service.

use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The fields in order, as error messages name them.
const FIELDS: [&str; 5] = ["minute", "hour", "day of month", "month", "day of week"];

/// What each field takes, for error messages.
const RANGES: [&str; 5] = ["0-59", "0-23", "1-31", "1-12 or jan-dec", "0-6 or sun-sat"];

/// The descriptors robfig/cron's standard parser takes for a whole expression, resolved here
/// because croner lacks `@midnight` (`@every` is a robfig extension that Kubernetes
/// documents as unsupported, so it is refused too).
const DESCRIPTORS: &[(&str, &str)] = &[
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

/// A validated schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// The expression as written.
    pub expression: String,
    /// The minutes of the hour it runs at.
    pub minutes: Vec<u32>,
    cron: Cron,
}

/// croner's parser set to the standard five fields: no seconds or years; day of month and
/// day of week combine with OR when both are restricted (Vixie cron, robfig/cron); `5/20`
/// means "from 5, every 20" as robfig reads it.
fn parser() -> CronParser {
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .dom_and_dow(false)
        .sloppy_ranges(true)
        .build()
}

/// What robfig/cron refuses that croner takes: Quartz's `L`, `W`, `#` and croner's `+`, `?`
/// outside the day fields, and 7 for Sunday (robfig's day of week is 0-6).
fn check_dialect(fields: &[&str]) -> Result<(), String> {
    for (i, field) in fields.iter().enumerate() {
        let name = FIELDS[i];
        if field.split(',').any(str::is_empty) {
            return Err(format!("{name}: empty value"));
        }
        if let Some(c) = field.chars().find(|c| matches!(c, '#' | '+')) {
            return Err(format!(
                "{name}: {c:?} is a Quartz/croner extension that Kubernetes CronJobs do not accept"
            ));
        }
        // Letters are names (jan, mon); `L` and `W` alone or after a number are Quartz's.
        for token in field.split([',', '-', '/']) {
            let t = token.to_ascii_uppercase();
            if t == "L"
                || t == "W"
                || (t.len() > 1
                    && t.ends_with(['L', 'W'])
                    && t[..t.len() - 1].bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(format!(
                    "{name}: {token:?} is a Quartz extension that Kubernetes CronJobs do not accept"
                ));
            }
            if i == 4 && t == "7" {
                return Err(format!("{name}: 7 is out of range (0-6; Sunday is 0)"));
            }
        }
        if field.contains('?') && i != 2 && i != 4 {
            return Err(format!("{name}: `?` is only allowed for the day fields"));
        }
    }
    Ok(())
}

impl Schedule {
    /// Parses and validates a cron expression or descriptor.
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
        {
            let fields: Vec<&str> = resolved.split_whitespace().collect();
            if fields.len() != 5 {
                return Err(format!(
                    "{e:?} has {} fields; a cron expression has 5: minute hour day-of-month month day-of-week",
                    fields.len()
                ));
            }
            check_dialect(&fields)?;
            // Parse each field alone so that croner's message can name the field.
            for (i, name) in FIELDS.iter().enumerate() {
                let mut probe = ["*"; 5];
                probe[i] = fields[i];
                if let Err(err) = parser().parse(&probe.join(" ")) {
                    // croner's messages name neither the field nor its range.
                    return Err(format!("{name}: {err} (expected {})", RANGES[i]));
                }
            }
        }
        let cron = parser().parse(resolved).map_err(|err| err.to_string())?;
        let minutes = cron
            .pattern
            .minutes
            .values()
            .into_iter()
            .map(u32::from)
            .collect();
        Ok(Schedule {
            expression: e.to_string(),
            minutes,
            cron,
        })
    }

    /// The next `n` run times strictly after `after` (both seconds since the Unix epoch,
    /// UTC), earliest first; fewer when the schedule has no more runs before year 9999
    /// (`0 0 30 2 *` never runs).
    pub fn next_runs(&self, after: i64, n: usize) -> Vec<i64> {
        let Ok(start) = Timestamp::from_second(after) else {
            return Vec::new();
        };
        self.cron
            .iter_after(start.to_zoned(TimeZone::UTC))
            .take(n)
            .map(|z| z.timestamp().as_second())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubecomply_core::date::{rfc3339, unix_seconds};

    fn next(e: &str, after: &str, n: usize) -> Vec<String> {
        let s = Schedule::parse(e).expect(e);
        let after = unix_seconds(after).expect(after);
        s.next_runs(after, n).into_iter().map(rfc3339).collect()
    }

    #[test]
    fn valid_expressions() {
        for e in [
            "0 0 * * 0",
            "0 * * * *",
            "*/15 6-18 1,15 jan-jun MON-FRI",
            "30 2 ? * 1",
            "@weekly",
            "@Daily",
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
        assert_eq!(
            Schedule::parse("*/15 * * * *").map(|s| s.minutes),
            Ok(vec![0, 15, 30, 45])
        );
        assert_eq!(Schedule::parse("@hourly").map(|s| s.minutes), Ok(vec![0]));
    }

    #[test]
    fn descriptors_are_their_expressions() {
        for (d, e) in [
            ("@yearly", "0 0 1 1 *"),
            ("@annually", "0 0 1 1 *"),
            ("@monthly", "0 0 1 * *"),
            ("@weekly", "0 0 * * 0"),
            ("@daily", "0 0 * * *"),
            ("@midnight", "0 0 * * *"),
            ("@hourly", "0 * * * *"),
        ] {
            let after = "2026-11-27T23:36:36Z";
            assert_eq!(next(d, after, 3), next(e, after, 3), "{d}");
        }
    }

    #[test]
    fn invalid_expressions_say_why() {
        for (e, why) in [
            ("0 0 * *", "has 4 fields"),
            ("0 0 * * * *", "has 6 fields"),
            ("60 * * * *", "minute: "),
            (
                "0 24 * * *",
                "hour: Component error: Number out of bounds. (expected 0-23)",
            ),
            ("0 0 0 * *", "day of month: "),
            ("0 0 * 13 *", "month: "),
            ("0 0 * * 7", "day of week: 7 is out of range"),
            ("0 0 * * 8", "day of week: "),
            ("*/0 * * * *", "minute: "),
            ("5-1 * * * *", "minute: "),
            ("@often", "unknown descriptor"),
            ("@every 1h", "unknown descriptor"),
            ("a * * * *", "minute: "),
            ("? * * * *", "only allowed for the day fields"),
            ("1,,2 * * * *", "empty value"),
            ("0 0 L * *", "Quartz extension"),
            ("0 0 15W * *", "Quartz extension"),
            ("0 0 * * 5#3", "Kubernetes CronJobs do not accept"),
        ] {
            match Schedule::parse(e) {
                Ok(s) => panic!("{e} accepted: {s:?}"),
                Err(m) => assert!(m.contains(why), "{e}: {m}"),
            }
        }
    }

    #[test]
    fn next_runs_after_an_instant() {
        assert_eq!(
            next("0 0 * * 0", "2026-11-27T23:36:36Z", 2),
            ["2026-11-29T00:00:00Z", "2026-12-06T00:00:00Z"]
        );
        // Strictly after: a run at the instant itself is not the next one.
        assert_eq!(
            next("@hourly", "2026-11-27T23:00:00Z", 2),
            ["2026-11-28T00:00:00Z", "2026-11-28T01:00:00Z"]
        );
        assert_eq!(
            next("*/15 9-10 * * *", "2026-12-31T10:50:00Z", 3),
            [
                "2027-01-01T09:00:00Z",
                "2027-01-01T09:15:00Z",
                "2027-01-01T09:30:00Z"
            ]
        );
        // Leap day only.
        assert_eq!(
            next("0 12 29 2 *", "2026-03-01T00:00:00Z", 2),
            ["2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z"]
        );
        // Both day fields restricted: either matches (Vixie cron), so the 1st and Mondays.
        assert_eq!(
            next("0 0 1 * 1", "2026-11-27T00:00:00Z", 3),
            [
                "2026-11-30T00:00:00Z",
                "2026-12-01T00:00:00Z",
                "2026-12-07T00:00:00Z"
            ]
        );
        assert!(next("0 0 30 2 *", "2026-11-27T00:00:00Z", 1).is_empty());
    }
}
