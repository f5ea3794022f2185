//! The public verifier's limit: how many lookups one client may make per minute, on the page
//! behind the QR code and its JSON twin alike (the bulk verifier is for signed-in verifiers and
//! has no such limit).

use std::net::IpAddr;
use std::time::Duration;

use live_store::{LiveStore, LiveStoreError};

/// Lookups per client address bucket per minute: plenty for people scanning QR codes, too few
/// to walk the code space (2^50 codes).
pub const PUBLIC_LOOKUPS_PER_MINUTE: u64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum LookupLimitError {
    #[error("terlalu banyak permintaan verifikasi; silakan coba lagi sebentar lagi")]
    TooMany { retry_after: Duration },
    #[error(transparent)]
    Live(#[from] LiveStoreError),
}

/// Counts one public lookup by `client` (an unknown address shares one bucket) and refuses it
/// past the limit, saying when the window ends.
pub async fn admit(live: &dyn LiveStore, client: Option<IpAddr>) -> Result<(), LookupLimitError> {
    let bucket = client.map_or_else(|| "unknown".to_string(), live_store::address_bucket);
    let window = live.hit(&format!("verify:{bucket}"), Duration::from_secs(60)).await?;
    if window.count > PUBLIC_LOOKUPS_PER_MINUTE {
        return Err(LookupLimitError::TooMany { retry_after: window.resets_in });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_61st_lookup_in_a_minute_is_refused_per_address_bucket() {
        let live = live_store::MemoryStore::default();
        let me: IpAddr = "10.1.2.3".parse().unwrap();
        for _ in 0..PUBLIC_LOOKUPS_PER_MINUTE {
            admit(&live, Some(me)).await.unwrap();
        }
        let refused = admit(&live, Some(me)).await.unwrap_err();
        assert!(
            matches!(refused, LookupLimitError::TooMany { retry_after } if retry_after <= Duration::from_secs(60))
        );
        admit(&live, Some("10.1.2.4".parse().unwrap())).await.expect("another address has its own");
    }
}
