//! Calendar dates and times (UTC) for exception and attestation expiry and report times, on
//! `jiff`'s proleptic Gregorian calendar.

use std::fmt;

use jiff::Timestamp;
use jiff::civil;
use jiff::tz::TimeZone;

/// A proleptic Gregorian calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month 1-12.
    pub month: u32,
    /// Day 1-31.
    pub day: u32,
}

/// Whether `s` has the shape `DDDD-DD-DD` (ASCII digits): jiff's parser also takes other ISO
/// 8601 forms (`+002026-…`, week dates) that our documents have never accepted.
fn is_date_shape(s: &[u8]) -> bool {
    s.len() == 10
        && s.iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

impl Date {
    /// Parses `YYYY-MM-DD` (an RFC 3339 timestamp is accepted; its date part is used).
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let date = s.get(..10)?;
        let rest = &s[10..];
        if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
            return None;
        }
        if !is_date_shape(date.as_bytes()) {
            return None;
        }
        // A date and time is its date only when the time is valid too (`T25:00:00Z` is not
        // truncated to a date).
        if !rest.is_empty()
            && s.parse::<Timestamp>().is_err()
            && s.parse::<civil::DateTime>().is_err()
        {
            return None;
        }
        let d: civil::Date = date.parse().ok()?;
        Some(Date::from_civil(d))
    }

    /// The date of a Unix timestamp (seconds). Times beyond jiff's range (years -9999 to
    /// 9999) give its first or last day.
    pub fn from_unix(secs: i64) -> Date {
        Date::from_civil(TimeZone::UTC.to_datetime(timestamp(secs)).date())
    }

    /// Today's date in UTC by the system clock. Libraries take the date as a setting; this
    /// is the fallback of callers that give none.
    pub fn today() -> Date {
        Date::from_unix(Timestamp::now().as_second())
    }

    fn from_civil(d: civil::Date) -> Date {
        // jiff's fields are always in range (month 1-12, day 1-31), so the casts are exact.
        Date {
            year: i32::from(d.year()),
            month: d.month() as u32,
            day: d.day() as u32,
        }
    }
}

/// The timestamp at `secs`, clamped to jiff's range.
fn timestamp(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap_or(if secs < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// Seconds since the Unix epoch of an RFC 3339 UTC time written `YYYY-MM-DDTHH:MM:SSZ` (the
/// form [`rfc3339`] writes and reports carry); `None` for any other form or an invalid date or
/// time (`2027-02-30T00:00:00Z`, `2027-02-28T25:00:00Z`). A leap second (`:60`) is read as
/// `:59`, as jiff does.
pub fn unix_seconds(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    let shape = b.len() == 20
        && is_date_shape(&b[..10])
        && b[10] == b'T'
        && b[19] == b'Z'
        && b[11..19].iter().enumerate().all(|(i, c)| {
            if i == 2 || i == 5 {
                *c == b':'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape {
        return None;
    }
    let ts: Timestamp = t.parse().ok()?;
    Some(ts.as_second())
}

/// The RFC 3339 UTC form (`YYYY-MM-DDTHH:MM:SSZ`) of `secs` seconds after the Unix epoch.
pub fn rfc3339(secs: i64) -> String {
    let dt = TimeZone::UTC.to_datetime(timestamp(secs));
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        Date::from_civil(dt.date()),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_and_time_is_its_date_only_when_the_time_is_valid() {
        assert_eq!(
            Date::parse("2027-02-28T12:00:00Z"),
            Date::parse("2027-02-28")
        );
        assert_eq!(
            Date::parse("2027-02-28 12:00:00"),
            Date::parse("2027-02-28")
        );
        assert!(Date::parse("2027-02-28").is_some());
        for bad in [
            "2027-02-28T25:00:00Z",
            "2027-02-28Tnoon",
            "2027-02-30",
            "2027-02-28x",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn parses_and_formats() {
        let d = Date::parse("2026-02-28").expect("valid");
        assert_eq!(d.to_string(), "2026-02-28");
        assert!(Date::parse("2026-02-29").is_none());
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("2026-13-01").is_none());
        assert!(Date::parse("2026-00-01").is_none());
        assert!(Date::parse("2026-01-00").is_none());
        assert!(Date::parse("2026-04-31").is_none());
        assert!(Date::parse("2026-1-011").is_none());
        assert!(Date::parse("2026-01-01x").is_none());
        assert_eq!(
            Date::parse("2026-11-27T10:00:00Z"),
            Date::parse("2026-11-27")
        );
        assert_eq!(Date::parse(" 2026-11-27 "), Date::parse("2026-11-27"));
    }

    #[test]
    fn ordering_follows_the_calendar() {
        let a = Date::parse("2026-12-31").expect("date");
        let b = Date::parse("2027-01-01").expect("date");
        assert!(a < b);
    }

    #[test]
    fn unix_epoch_days() {
        assert_eq!(Date::from_unix(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix(-1).to_string(), "1969-12-31");
        assert_eq!(Date::from_unix(1_798_761_600).to_string(), "2027-01-01");
        assert_eq!(Date::from_unix(951_782_400).to_string(), "2000-02-29");
    }

    #[test]
    fn rfc3339_round_trip() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_seconds("2027-01-01T00:00:00Z"), Some(1_798_761_600));
        assert_eq!(unix_seconds("2026-11-27T23:36:36Z"), Some(1_795_822_596));
        assert_eq!(rfc3339(1_795_822_596), "2026-11-27T23:36:36Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        for bad in [
            "2027-02-28T25:00:00Z",
            "2027-02-30T00:00:00Z",
            "2027-02-28T23:60:00Z",
            "2027-02-28T23:00:00",
            "2027-02-28T23:00:00+01:00",
            "2027-02-28 23:00:00Z",
            "2027-02-28T23:00Z",
            "2027-02-28",
            "",
        ] {
            assert_eq!(unix_seconds(bad), None, "{bad}");
        }
    }
}
