//! CIDR blocks (IPv4 and IPv6) as `ipBlock` uses them.

use std::net::IpAddr;

use serde::Serialize;

/// An IP network: family, network bits and prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    v6: bool,
    network: u128,
    prefix: u8,
}

fn bits(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => (true, u128::from(a)),
    }
}

impl Cidr {
    /// Parses `ADDRESS/PREFIX`; host bits are allowed and masked off (as Go's `ParseCIDR`).
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = s.split_once('/')?;
        let ip: IpAddr = addr.parse().ok()?;
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) || prefix.len() > 3 {
            return None;
        }
        let prefix: u8 = prefix.parse().ok()?;
        let (v6, b) = bits(ip);
        let width = if v6 { 128 } else { 32 };
        if prefix > width {
            return None;
        }
        let c = Cidr {
            v6,
            network: 0,
            prefix,
        };
        Some(Cidr {
            network: b & c.mask(),
            ..c
        })
    }

    fn mask(&self) -> u128 {
        let width = if self.v6 { 128u32 } else { 32 };
        let host = width - u32::from(self.prefix);
        let all = if self.v6 {
            u128::MAX
        } else {
            u128::from(u32::MAX)
        };
        if host >= 128 {
            0
        } else {
            (all >> host) << host
        }
    }

    /// Whether an address lies inside the block (never across address families).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (v6, b) = bits(ip);
        v6 == self.v6 && b & self.mask() == self.network
    }

    /// Whether `other` is a strict subset of this block.
    pub fn strictly_contains(&self, other: &Cidr) -> bool {
        other.v6 == self.v6
            && other.prefix > self.prefix
            && other.network & self.mask() == self.network
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.v6 {
            write!(
                f,
                "{}/{}",
                std::net::Ipv6Addr::from(self.network),
                self.prefix
            )
        } else {
            let n = u32::try_from(self.network).unwrap_or(0);
            write!(f, "{}/{}", std::net::Ipv4Addr::from(n), self.prefix)
        }
    }
}

impl Serialize for Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_contain() {
        let c = Cidr::parse("10.0.0.7/24").unwrap();
        assert_eq!(c.to_string(), "10.0.0.0/24");
        assert!(c.contains("10.0.0.200".parse().unwrap()));
        assert!(!c.contains("10.0.1.1".parse().unwrap()));
        assert!(!c.contains("::ffff:10.0.0.1".parse().unwrap()));
        let all = Cidr::parse("0.0.0.0/0").unwrap();
        assert!(all.contains("255.255.255.255".parse().unwrap()));
        assert!(all.strictly_contains(&c));
        assert!(!c.strictly_contains(&c));
        let v6 = Cidr::parse("fd00::/8").unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!(
            Cidr::parse("::/0")
                .unwrap()
                .contains("::1".parse().unwrap())
        );
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0.0/",
            "x/8",
            "10.0.0.0/+8",
            "::/129",
        ] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
    }
}
