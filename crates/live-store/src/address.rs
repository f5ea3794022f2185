//! Rate-limit buckets of client addresses, shared by every limit that counts per client.

use std::net::IpAddr;

/// The rate-limit bucket of a client address. IPv6 clients usually hold a whole /64, so an
/// IPv6 address is bucketed by its /64 prefix; otherwise rotating addresses inside it would
/// escape the limit.
pub fn address_bucket(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_share_their_64_and_mapped_ipv4_is_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert_eq!(address_bucket(a), address_bucket(b));
        assert_eq!(address_bucket("::ffff:10.0.0.7".parse().unwrap()), "10.0.0.7");
        assert_ne!(address_bucket("10.0.0.7".parse().unwrap()), address_bucket("10.0.0.8".parse().unwrap()));
    }
}
