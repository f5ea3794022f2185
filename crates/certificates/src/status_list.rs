//! The W3C Bitstring Status List that publishes revocations.
//!
//! Each certificate owns one bit, at an index drawn at random when it is issued: sequential
//! indexes would let anyone who sees two certificates guess how many were issued between them,
//! and would let a watcher of the list tie a revocation to an issue date. The list is the
//! minimum size the specification asks for (131,072 bits, 16 KiB), so the index of one
//! certificate says nothing about how many exist. Published GZIP-compressed and base64url
//! encoded with the multibase prefix `u`; a list with few revocations compresses to a few
//! hundred bytes.

use std::io::{Read, Write};

use base64::Engine;
use serde_json::{Value, json};

/// Bits in the list, and so the most certificates one list can carry.
pub const LIST_BITS: u32 = 131_072;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    #[error("the encoded list is not multibase base64url")]
    Encoding,
    #[error("the encoded list is not GZIP data")]
    Compression,
    #[error("index {0} is outside the list")]
    OutOfRange(u32),
}

/// The encoded list with the bits of `revoked` set. Indexes outside the list are ignored.
pub fn encode(revoked: impl IntoIterator<Item = u32>) -> String {
    let mut bits = vec![0u8; (LIST_BITS / 8) as usize];
    for i in revoked.into_iter().filter(|&i| i < LIST_BITS) {
        // The first index is the left-most (most significant) bit of the first byte.
        bits[(i / 8) as usize] |= 0x80 >> (i % 8);
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(&bits);
    let compressed = gz.finish().unwrap_or_default();
    format!("u{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(compressed))
}

/// The uncompressed bits of an encoded list.
pub fn decode(encoded: &str) -> Result<Vec<u8>, StatusListError> {
    let b64 = encoded.strip_prefix('u').ok_or(StatusListError::Encoding)?;
    let compressed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64)
        .map_err(|_| StatusListError::Encoding)?;
    let mut bits = Vec::new();
    // A hostile list could be a GZIP bomb; no real list is larger than 16 MiB uncompressed.
    flate2::read::GzDecoder::new(&compressed[..])
        .take(16 << 20)
        .read_to_end(&mut bits)
        .map_err(|_| StatusListError::Compression)?;
    Ok(bits)
}

/// Whether bit `index` of decoded `bits` is set.
pub fn is_set(bits: &[u8], index: u32) -> Result<bool, StatusListError> {
    let byte = bits.get((index / 8) as usize).ok_or(StatusListError::OutOfRange(index))?;
    Ok(byte & (0x80 >> (index % 8)) != 0)
}

/// The status entry a credential carries for its bit.
pub fn entry(list_url: &str, index: u32) -> Value {
    json!({
        "id": format!("{list_url}#{index}"),
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": index.to_string(),
        "statusListCredential": list_url,
    })
}

/// One revocation as the list publishes it beside the bits, so that an offline verifier can say
/// when and why, not only that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    pub index: u32,
    pub revoked_at: String,
    pub reason: String,
}

/// The unsigned status list credential.
pub fn credential(list_url: &str, issuer: &str, valid_from: &str, revoked: &[Revoked]) -> Value {
    let details: Vec<Value> = revoked
        .iter()
        .map(|r| json!({"statusListIndex": r.index.to_string(), "revokedAt": r.revoked_at, "reason": r.reason}))
        .collect();
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": format!("{list_url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode(revoked.iter().map(|r| r.index)),
            "revocations": details,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_empty_list_is_small_and_the_full_size() {
        let encoded = encode([]);
        assert!(encoded.len() < 200, "{}", encoded.len());
        assert_eq!(decode(&encoded).unwrap().len(), (LIST_BITS / 8) as usize);
        assert!(decode("xabc").is_err());
        assert!(decode("uAAAA").is_err());
    }

    #[test]
    fn bit_zero_is_the_leftmost() {
        let bits = decode(&encode([0, 9])).unwrap();
        assert_eq!(bits[0], 0x80);
        assert_eq!(bits[1], 0x40);
    }

    proptest! {
        #[test]
        fn exactly_the_revoked_bits_are_set(revoked in proptest::collection::btree_set(0u32..LIST_BITS, 0..50), probe in 0u32..LIST_BITS) {
            let bits = decode(&encode(revoked.iter().copied())).unwrap();
            prop_assert_eq!(is_set(&bits, probe).unwrap(), revoked.contains(&probe));
            for &i in &revoked {
                prop_assert!(is_set(&bits, i).unwrap());
            }
        }
    }
}
