//! Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite (W3C VC Data Integrity EdDSA).
//!
//! The document and the proof options are each canonicalised with RFC 8785 (JCS) and hashed
//! with SHA-256; Ed25519 signs the 64 bytes `hash(proof options) ‖ hash(document)`. JCS, unlike
//! the RDF canonicalisation of `eddsa-rdfc-2022`, needs no JSON-LD processing and no fetched
//! contexts, so a verifier offline with nothing but the public key can check a credential.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
pub const PROOF_TYPE: &str = "DataIntegrityProof";

/// Multicodec prefixes of Multikey encodings (varint of 0xed and 0x1300).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];
const ED25519_PRIV: [u8; 2] = [0x80, 0x26];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("not a JSON object")]
    NotAnObject,
    #[error("the document has no proof")]
    NoProof,
    #[error("the proof is not a DataIntegrityProof with eddsa-jcs-2022")]
    Unsupported,
    #[error("the proof is malformed: {0}")]
    Malformed(&'static str),
    #[error("the signing key {0} is not known")]
    UnknownKey(String),
    #[error("the signature does not match the document")]
    BadSignature,
    #[error("no signing key is loaded")]
    NoSigningKey,
}

/// `z` + base58btc: the multibase form used for keys and proof values.
pub fn multibase(bytes: &[u8]) -> String {
    format!("z{}", bs58::encode(bytes).into_string())
}

fn from_multibase(s: &str) -> Option<Vec<u8>> {
    bs58::decode(s.strip_prefix('z')?).into_vec().ok()
}

/// The Multikey form of a public key, e.g. `z6Mk…`.
pub fn public_key_multibase(key: &VerifyingKey) -> String {
    multibase(&[&ED25519_PUB[..], key.as_bytes()].concat())
}

pub fn public_key_from_multibase(s: &str) -> Option<VerifyingKey> {
    let bytes = from_multibase(s)?;
    let raw: [u8; 32] = bytes.strip_prefix(&ED25519_PUB[..])?.try_into().ok()?;
    VerifyingKey::from_bytes(&raw).ok()
}

pub fn private_key_multibase(key: &SigningKey) -> String {
    multibase(&[&ED25519_PRIV[..], &key.to_bytes()[..]].concat())
}

pub fn private_key_from_multibase(s: &str) -> Option<SigningKey> {
    let bytes = from_multibase(s)?;
    let raw: [u8; 32] = bytes.strip_prefix(&ED25519_PRIV[..])?.try_into().ok()?;
    Some(SigningKey::from_bytes(&raw))
}

/// SHA-256 of the RFC 8785 form of `value` without its top-level member `skip`: the document
/// is hashed without its `proof`, the proof configuration without its `proofValue`, and leaving
/// them out while writing saves copying a whole credential per check.
fn jcs_hash(value: &Value, skip: &str) -> Result<[u8; 32], ProofError> {
    let canonical = penkom_core::canonical_json::to_vec_without(value, skip)
        .map_err(|_| ProofError::Malformed("not canonicalisable"))?;
    Ok(Sha256::digest(&canonical).into())
}

/// The bytes Ed25519 signs: the proof configuration's hash, then the document's.
fn hash_data(document: &Value, proof_config: &Value) -> Result<[u8; 64], ProofError> {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&jcs_hash(proof_config, "proofValue")?);
    out[32..].copy_from_slice(&jcs_hash(document, "proof")?);
    Ok(out)
}

/// Signs `document` (a JSON object without `proof`) and returns it with an embedded proof.
/// `created` is an XML Schema date-time, e.g. `2026-12-01T08:00:00Z`.
pub fn sign(
    document: &Value,
    key: &SigningKey,
    verification_method: &str,
    created: &str,
) -> Result<Value, ProofError> {
    let Value::Object(doc) = document else {
        return Err(ProofError::NotAnObject);
    };
    let mut unsecured = doc.clone();
    unsecured.remove("proof");
    let mut config = Map::new();
    config.insert("type".into(), PROOF_TYPE.into());
    config.insert("cryptosuite".into(), CRYPTOSUITE.into());
    config.insert("created".into(), created.into());
    config.insert("verificationMethod".into(), verification_method.into());
    config.insert("proofPurpose".into(), "assertionMethod".into());
    if let Some(ctx) = unsecured.get("@context") {
        config.insert("@context".into(), ctx.clone());
    }
    let unsecured = Value::Object(unsecured);
    let config = Value::Object(config);
    let signature = key.sign(&hash_data(&unsecured, &config)?);
    let mut proof = config;
    proof["proofValue"] = multibase(&signature.to_bytes()).into();
    let mut secured = unsecured;
    secured["proof"] = proof;
    Ok(secured)
}

/// Checks the embedded proof of `document` and returns its verification method. `key_for`
/// resolves a verification method (e.g. `did:web:…#key-1`) to a public key.
pub fn verify(
    document: &Value,
    key_for: impl Fn(&str) -> Option<VerifyingKey>,
) -> Result<String, ProofError> {
    let Value::Object(doc) = document else {
        return Err(ProofError::NotAnObject);
    };
    // Read in place: the hashes below leave out `proof` and `proofValue` as they write, so
    // nothing of the document is copied.
    let Some(proof_value @ Value::Object(proof)) = doc.get("proof") else {
        return Err(ProofError::NoProof);
    };
    if proof.get("type").and_then(Value::as_str) != Some(PROOF_TYPE)
        || proof.get("cryptosuite").and_then(Value::as_str) != Some(CRYPTOSUITE)
    {
        return Err(ProofError::Unsupported);
    }
    if proof.get("proofPurpose").and_then(Value::as_str) != Some("assertionMethod") {
        return Err(ProofError::Malformed("proofPurpose is not assertionMethod"));
    }
    let value = proof.get("proofValue").ok_or(ProofError::Malformed("no proofValue"))?;
    let bytes = value.as_str().and_then(from_multibase).ok_or(ProofError::Malformed("proofValue"))?;
    let signature: [u8; 64] = bytes.try_into().map_err(|_| ProofError::Malformed("signature length"))?;
    // A proof that names a context must name the document's: otherwise the signed options
    // could be read against different term definitions than the document.
    if let Some(ctx) = proof.get("@context")
        && doc.get("@context") != Some(ctx)
    {
        return Err(ProofError::Malformed("@context differs from the document's"));
    }
    let method = proof
        .get("verificationMethod")
        .and_then(Value::as_str)
        .ok_or(ProofError::Malformed("no verificationMethod"))?
        .to_string();
    let key = key_for(&method).ok_or_else(|| ProofError::UnknownKey(method.clone()))?;
    let data = hash_data(document, proof_value)?;
    key.verify_strict(&data, &Signature::from_bytes(&signature)).map_err(|_| ProofError::BadSignature)?;
    Ok(method)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The key pair and signed credential of the W3C test vectors for eddsa-jcs-2022
    /// (w3c/vc-di-eddsa, `TestVectors/keyPair.json` and `TestVectors/eddsa-jcs-2022/`).
    const PUBLIC: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    const PRIVATE: &str = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq";

    fn w3c_signed() -> Value {
        json!({
          "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
          "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
          "type": ["VerifiableCredential", "AlumniCredential"],
          "name": "Alumni Credential",
          "description": "A minimum viable example of an Alumni Credential.",
          "issuer": "https://vc.example/issuers/5678",
          "validFrom": "2023-01-01T00:00:00Z",
          "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
          "proof": {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-jcs-2022",
            "created": "2023-02-24T23:36:38Z",
            "verificationMethod": "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
            "proofPurpose": "assertionMethod",
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "proofValue": "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"
          }
        })
    }

    #[test]
    fn reproduces_the_w3c_test_vector() {
        let key = private_key_from_multibase(PRIVATE).unwrap();
        assert_eq!(public_key_multibase(&key.verifying_key()), PUBLIC);
        assert_eq!(private_key_multibase(&key), PRIVATE);
        let expected = w3c_signed();
        let proof = &expected["proof"];
        let mut unsigned = expected.clone();
        unsigned.as_object_mut().unwrap().remove("proof");
        let signed = sign(
            &unsigned,
            &key,
            proof["verificationMethod"].as_str().unwrap(),
            proof["created"].as_str().unwrap(),
        )
        .unwrap();
        // Ed25519 is deterministic: the same key and bytes give the vector's signature.
        assert_eq!(signed, expected);
    }

    #[test]
    fn verifies_the_w3c_vector_and_refuses_any_edit() {
        let public = public_key_from_multibase(PUBLIC).unwrap();
        let resolve = |vm: &str| vm.ends_with(PUBLIC).then_some(public);
        let doc = w3c_signed();
        assert!(verify(&doc, resolve).unwrap().ends_with(PUBLIC));
        let mut edited = doc.clone();
        edited["credentialSubject"]["alumniOf"] = "Another School".into();
        assert_eq!(verify(&edited, resolve), Err(ProofError::BadSignature));
        let mut edited = doc.clone();
        edited["proof"]["created"] = "2024-01-01T00:00:00Z".into();
        assert_eq!(verify(&edited, resolve), Err(ProofError::BadSignature));
        assert!(matches!(verify(&doc, |_| None), Err(ProofError::UnknownKey(_))));
        let mut no_proof = doc.clone();
        no_proof.as_object_mut().unwrap().remove("proof");
        assert_eq!(verify(&no_proof, resolve), Err(ProofError::NoProof));
        assert_eq!(verify(&json!([1]), resolve), Err(ProofError::NotAnObject));
    }
}
