//! OPA builtins that regorus does not provide and that real policies still call: the
//! deprecated ones Gatekeeper templates were written with (`any`, `all`, `re_match`,
//! `set_diff`, `cast_*`, `net.cidr_overlap`) and a few current ones (`net.cidr_intersects`,
//! `regex.find_all_string_submatch_n`). Semantics follow OPA's Go implementation.

use std::collections::BTreeSet;
use std::net::IpAddr;

use anyhow::{Result, anyhow, bail};
use regorus::{Engine, Value};
use sha2::Digest;

/// Registers every extension on `engine`. Registration only fails for a duplicate name, which
/// cannot happen on a fresh engine; such a failure is ignored rather than aborting a scan.
/// An extension implemented as a plain function.
type Builtin = fn(Vec<Value>) -> Result<Value>;

/// What makes an evaluation repeatable: the time `time.now_ns` answers and the seed from which
/// `rand.intn` and `uuid.rfc4122` derive their values. One per run (the run's clock), so that
/// a re-scan of the same inputs at the same recorded time gives the same findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Determinism {
    /// Nanoseconds since the Unix epoch.
    pub now_ns: i64,
    /// Seed of the random builtins.
    pub seed: u64,
}

impl Determinism {
    /// The clock at `now_ns`, with a seed derived from it (so that the time alone, which
    /// reports record, reproduces both).
    pub fn at(now_ns: i64) -> Determinism {
        let digest = sha2::Sha256::digest(now_ns.to_le_bytes());
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&digest[..8]);
        Determinism {
            now_ns,
            seed: u64::from_le_bytes(seed),
        }
    }

    /// The system clock, read once.
    pub fn now() -> Determinism {
        let ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        Determinism::at(ns)
    }

    /// 64 bits derived from the seed and `key`.
    fn derive(&self, key: &[u8]) -> [u8; 32] {
        let mut h = sha2::Sha256::new();
        h.update(self.seed.to_le_bytes());
        h.update((key.len() as u64).to_le_bytes());
        h.update(key);
        h.finalize().into()
    }
}

impl Default for Determinism {
    fn default() -> Self {
        Determinism::now()
    }
}

/// `time.now_ns`, `rand.intn` and `uuid.rfc4122` answering from `det`: the same arguments give
/// the same value within a run, as OPA caches them within a query.
fn register_determinism(engine: &mut Engine, det: Determinism) {
    let now = move |_: Vec<Value>| -> Result<Value> { Ok(Value::from(det.now_ns)) };
    let _ = engine.add_extension("time.now_ns".to_string(), 0, Box::new(now));
    let intn = move |args: Vec<Value>| -> Result<Value> {
        let key = string_arg(&args, 0, "rand.intn")?;
        let n = match arg(&args, 1)? {
            Value::Number(n) => n
                .as_i64()
                .ok_or_else(|| anyhow!("rand.intn: operand 2 must be an integer"))?,
            _ => bail!("rand.intn: operand 2 must be a number"),
        };
        if n == 0 {
            return Ok(Value::from(0_i64));
        }
        let bytes = det.derive(format!("rand.intn\0{key}\0{n}").as_bytes());
        let mut v = [0u8; 8];
        v.copy_from_slice(&bytes[..8]);
        let r = u64::from_le_bytes(v) % n.unsigned_abs();
        Ok(Value::from(i64::try_from(r).unwrap_or(0)))
    };
    let _ = engine.add_extension("rand.intn".to_string(), 2, Box::new(intn));
    let uuid = move |args: Vec<Value>| -> Result<Value> {
        let key = string_arg(&args, 0, "uuid.rfc4122")?;
        let mut b = det.derive(format!("uuid.rfc4122\0{key}").as_bytes());
        // Version 4, variant RFC 4122, as OPA's.
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b[..16].iter().map(|x| format!("{x:02x}")).collect();
        Ok(Value::from(format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )))
    };
    let _ = engine.add_extension("uuid.rfc4122".to_string(), 1, Box::new(uuid));
}

pub(crate) fn register(engine: &mut Engine, det: Determinism) {
    register_determinism(engine, det);
    let one: [(&str, Builtin); 8] = [
        ("any", any),
        ("all", all),
        ("cast_array", cast_array),
        ("cast_set", cast_set),
        ("cast_string", cast_string),
        ("cast_boolean", cast_boolean),
        ("cast_null", cast_null),
        ("cast_object", cast_object),
    ];
    for (name, f) in one {
        let _ = engine.add_extension(name.to_string(), 1, Box::new(f));
    }
    let two: [(&str, Builtin); 5] = [
        // Shadows regorus' builtin: extensions are looked up first.
        ("sprintf", crate::sprintf::sprintf),
        ("re_match", re_match),
        ("set_diff", set_diff),
        ("net.cidr_overlap", cidr_overlap),
        ("net.cidr_intersects", cidr_intersects),
    ];
    for (name, f) in two {
        let _ = engine.add_extension(name.to_string(), 2, Box::new(f));
    }
    // Shadow regorus' builtins, which reserve the whole array before checking any limit: an
    // absurd range would abort the process instead of failing the evaluation.
    let _ = engine.add_extension("numbers.range".to_string(), 2, Box::new(range as Builtin));
    let _ = engine.add_extension(
        "numbers.range_step".to_string(),
        3,
        Box::new(range_step as Builtin),
    );
    let _ = engine.add_extension(
        "regex.find_all_string_submatch_n".to_string(),
        3,
        Box::new(find_all_string_submatch_n as Builtin),
    );
}

fn arg(args: &[Value], i: usize) -> Result<&Value> {
    args.get(i)
        .ok_or_else(|| anyhow!("missing argument {}", i + 1))
}

fn string_arg(args: &[Value], i: usize, name: &str) -> Result<String> {
    match arg(args, i)? {
        Value::String(s) => Ok(s.to_string()),
        _ => bail!("{name}: operand {} must be a string", i + 1),
    }
}

fn elements(v: &Value, name: &str) -> Result<Vec<Value>> {
    match v {
        Value::Array(a) => Ok(a.iter().cloned().collect()),
        Value::Set(s) => Ok(s.iter().cloned().collect()),
        _ => bail!("{name}: operand 1 must be an array or a set"),
    }
}

/// An integer operand of the range builtins; `None` (undefined, as regorus answers without
/// strict builtin errors) for anything else.
fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) if n.is_integer() => n.as_i64(),
        _ => None,
    }
}

/// Bytes one element of a range array costs, about: the value and its number.
const RANGE_ELEMENT_BYTES: u64 = 48;

/// `numbers.range(a, b)`: the integers from `a` to `b`, both included, ascending or descending.
fn range(args: Vec<Value>) -> Result<Value> {
    let (Some(a), Some(b)) = (integer(arg(&args, 0)?), integer(arg(&args, 1)?)) else {
        return Ok(Value::Undefined);
    };
    range_of("numbers.range", a, b, 1)
}

/// `numbers.range_step(a, b, step)`: from `a` towards `b` by a positive `step`, `b` included
/// when reached.
fn range_step(args: Vec<Value>) -> Result<Value> {
    let (Some(a), Some(b)) = (integer(arg(&args, 0)?), integer(arg(&args, 1)?)) else {
        return Ok(Value::Undefined);
    };
    match integer(arg(&args, 2)?) {
        Some(step) if step > 0 => range_of("numbers.range_step", a, b, step),
        _ => bail!("numbers.range_step: step must be a positive integer"),
    }
}

fn range_of(name: &str, a: i64, b: i64, step: i64) -> Result<Value> {
    let span = u64::try_from(i128::from(b).abs_diff(i128::from(a))).unwrap_or(u64::MAX);
    let count = (span / step.unsigned_abs()).saturating_add(1);
    let limit = crate::memory::memory_limit();
    let bytes = count.saturating_mul(RANGE_ELEMENT_BYTES);
    if limit > 0 && bytes > limit {
        bail!(
            "{name}: {count} elements (about {} MiB) exceed the memory limit of an evaluation \
             ({} MiB, --policy-memory-limit)",
            bytes / (1024 * 1024),
            limit / (1024 * 1024)
        );
    }
    let step = if b < a { -step } else { step };
    let values: Vec<Value> = std::iter::successors(Some(a), |v| {
        v.checked_add(step)
            .filter(|n| if step > 0 { *n <= b } else { *n >= b })
    })
    .map(Value::from)
    .collect();
    Ok(Value::from(values))
}

/// `any(collection)`: whether some element is `true`.
fn any(args: Vec<Value>) -> Result<Value> {
    let items = elements(arg(&args, 0)?, "any")?;
    Ok(Value::Bool(items.contains(&Value::Bool(true))))
}

/// `all(collection)`: whether every element is `true` (true for an empty collection).
fn all(args: Vec<Value>) -> Result<Value> {
    let items = elements(arg(&args, 0)?, "all")?;
    Ok(Value::Bool(items.iter().all(|v| *v == Value::Bool(true))))
}

/// `re_match(pattern, value)`: the old name of `regex.match`.
fn re_match(args: Vec<Value>) -> Result<Value> {
    let pattern = string_arg(&args, 0, "re_match")?;
    let value = string_arg(&args, 1, "re_match")?;
    let re = regex::Regex::new(&pattern).map_err(|e| anyhow!("re_match: {e}"))?;
    Ok(Value::Bool(re.is_match(&value)))
}

/// `set_diff(a, b)`: the old name of `a - b` on sets.
fn set_diff(args: Vec<Value>) -> Result<Value> {
    match (arg(&args, 0)?, arg(&args, 1)?) {
        (Value::Set(a), Value::Set(b)) => {
            let out: BTreeSet<Value> = a.iter().filter(|v| !b.contains(v)).cloned().collect();
            Ok(Value::from(out))
        }
        _ => bail!("set_diff: operands must be sets"),
    }
}

fn cast_array(args: Vec<Value>) -> Result<Value> {
    Ok(Value::from(elements(arg(&args, 0)?, "cast_array")?))
}

fn cast_set(args: Vec<Value>) -> Result<Value> {
    let items = elements(arg(&args, 0)?, "cast_set")?;
    Ok(Value::from(items.into_iter().collect::<BTreeSet<Value>>()))
}

fn cast_string(args: Vec<Value>) -> Result<Value> {
    match arg(&args, 0)? {
        v @ Value::String(_) => Ok(v.clone()),
        _ => bail!("cast_string: operand 1 must be a string"),
    }
}

fn cast_boolean(args: Vec<Value>) -> Result<Value> {
    match arg(&args, 0)? {
        v @ Value::Bool(_) => Ok(v.clone()),
        _ => bail!("cast_boolean: operand 1 must be a boolean"),
    }
}

fn cast_null(args: Vec<Value>) -> Result<Value> {
    match arg(&args, 0)? {
        Value::Null => Ok(Value::Null),
        _ => bail!("cast_null: operand 1 must be null"),
    }
}

fn cast_object(args: Vec<Value>) -> Result<Value> {
    match arg(&args, 0)? {
        v @ Value::Object(_) => Ok(v.clone()),
        _ => bail!("cast_object: operand 1 must be an object"),
    }
}

/// An IP network as (address bits, prefix length, IPv4?), IPv4 in the low 32 bits.
fn parse_net(s: &str) -> Result<(u128, u32, bool)> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| anyhow!("invalid CIDR or IP {s:?}"))?;
    let (bits, width, v4) = match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32, true),
        IpAddr::V6(v6) => (u128::from(v6), 128, false),
    };
    let prefix = match prefix {
        Some(p) => p
            .parse::<u32>()
            .ok()
            .filter(|p| *p <= width)
            .ok_or_else(|| anyhow!("invalid prefix in {s:?}"))?,
        None => width,
    };
    Ok((bits, prefix, v4))
}

fn mask(bits: u128, prefix: u32, v4: bool) -> u128 {
    let width = if v4 { 32 } else { 128 };
    if prefix == 0 {
        return 0;
    }
    let keep = width - prefix;
    (bits >> keep) << keep
}

/// `net.cidr_overlap(cidr, ip)`: the old name of `net.cidr_contains` for an address.
fn cidr_overlap(args: Vec<Value>) -> Result<Value> {
    let (nb, np, n4) = parse_net(&string_arg(&args, 0, "net.cidr_overlap")?)?;
    let (ib, _, i4) = parse_net(&string_arg(&args, 1, "net.cidr_overlap")?)?;
    Ok(Value::Bool(
        n4 == i4 && mask(nb, np, n4) == mask(ib, np, i4),
    ))
}

/// `net.cidr_intersects(a, b)`: whether two networks share an address.
fn cidr_intersects(args: Vec<Value>) -> Result<Value> {
    let (ab, ap, a4) = parse_net(&string_arg(&args, 0, "net.cidr_intersects")?)?;
    let (bb, bp, b4) = parse_net(&string_arg(&args, 1, "net.cidr_intersects")?)?;
    let p = ap.min(bp);
    Ok(Value::Bool(a4 == b4 && mask(ab, p, a4) == mask(bb, p, b4)))
}

/// `regex.find_all_string_submatch_n(pattern, value, n)`: every match with its groups, at most
/// `n` (all when negative).
fn find_all_string_submatch_n(args: Vec<Value>) -> Result<Value> {
    let pattern = string_arg(&args, 0, "regex.find_all_string_submatch_n")?;
    let value = string_arg(&args, 1, "regex.find_all_string_submatch_n")?;
    let n = arg(&args, 2)?.as_i64()?;
    let re = regex::Regex::new(&pattern).map_err(|e| anyhow!("{e}"))?;
    let limit = usize::try_from(n).unwrap_or(usize::MAX);
    let matches: Vec<Value> = re
        .captures_iter(&value)
        .take(limit)
        .map(|caps| {
            Value::from(
                caps.iter()
                    .map(|m| Value::from(m.map_or("", |m| m.as_str())))
                    .collect::<Vec<Value>>(),
            )
        })
        .collect();
    Ok(Value::from(matches))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_helpers() {
        let s = |v: &str| Value::from(v);
        assert_eq!(
            cidr_overlap(vec![s("10.0.0.0/8"), s("10.1.2.3")]).ok(),
            Some(Value::Bool(true))
        );
        assert_eq!(
            cidr_overlap(vec![s("10.0.0.0/8"), s("11.1.2.3")]).ok(),
            Some(Value::Bool(false))
        );
        assert_eq!(
            cidr_intersects(vec![s("10.0.0.0/8"), s("10.2.0.0/16")]).ok(),
            Some(Value::Bool(true))
        );
        assert_eq!(
            cidr_intersects(vec![s("0.0.0.0/0"), s("::/0")]).ok(),
            Some(Value::Bool(false))
        );
    }
}

#[cfg(test)]
mod determinism_tests {
    use super::Determinism;
    use crate::engine::{DEFAULT_TIMEOUT, RegoVersion, new_engine};

    fn values(det: Determinism) -> String {
        let mut e = new_engine(RegoVersion::V1, DEFAULT_TIMEOUT, det);
        let r = e
            .eval_query(
                r#"[time.now_ns(), rand.intn("a", 1000), rand.intn("b", 1000), uuid.rfc4122("a"), uuid.rfc4122("a")]"#
                    .into(),
                false,
            )
            .expect("evaluates");
        r.result[0].expressions[0].value.to_string()
    }

    #[test]
    fn same_run_clock_same_values() {
        let a = values(Determinism::at(1_780_272_000_000_000_000));
        assert_eq!(a, values(Determinism::at(1_780_272_000_000_000_000)));
        assert_ne!(a, values(Determinism::at(1_780_272_001_000_000_000)));
        assert!(a.starts_with("[1780272000000000000,"), "{a}");
        let v: serde_json::Value = serde_json::from_str(&a).expect("json");
        let uuid = v[3].as_str().expect("uuid");
        // Version 4, RFC 4122 variant; the same key gives the same UUID within a run.
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "{uuid}");
        assert_eq!(v[3], v[4]);
        assert!(v[1].as_i64().is_some_and(|n| (0..1000).contains(&n)));
    }
}
