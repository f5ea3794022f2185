//! Signing keys: key files on disk, the published public keys, and the issuer's `did:web`.
//!
//! A key file holds one Ed25519 private key and is readable by its owner only. Rotation means
//! adding a key (`penkom keys generate`): the newest key signs from then on, and every public key
//! ever used stays published (the server records each in the database when it loads it), so a
//! certificate signed years ago still verifies. A retired private key file may be deleted.

use std::path::{Path, PathBuf};

use base64::Engine;
use chrono::{DateTime, Utc};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::proof::{
    private_key_from_multibase, private_key_multibase, public_key_from_multibase, public_key_multibase,
};

/// What a key file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyFile {
    pub kid: String,
    pub created: DateTime<Utc>,
    pub public_key_multibase: String,
    pub private_key_multibase: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot use the key directory {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the key file {0} is not a Penkom key file")]
    Malformed(PathBuf),
    #[error("no signing key in {0}; run `penkom keys generate`")]
    NoKey(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io { path: path.to_path_buf(), source }
}

/// A key the server signs with, and the name it is published under.
#[derive(Clone)]
pub struct SigningIdentity {
    pub kid: String,
    pub key: SigningKey,
}

/// One published public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub kid: String,
    pub key: VerifyingKey,
}

/// Creates a new key file in `dir` (created if missing) and returns it.
pub fn generate(dir: &Path, now: DateTime<Utc>) -> Result<KeyFile, KeyError> {
    create_private_dir(dir)?;
    let key = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let public = key.verifying_key();
    let fingerprint = hex::encode(&Sha256::digest(public.as_bytes())[..4]);
    let file = KeyFile {
        kid: format!("key-{}-{fingerprint}", now.format("%Y%m%d")),
        created: now,
        public_key_multibase: public_key_multibase(&public),
        private_key_multibase: private_key_multibase(&key),
    };
    let path = dir.join(format!("{}.json", file.kid));
    let text = serde_json::to_string_pretty(&file).map_err(|_| KeyError::Malformed(path.clone()))?;
    write_private(&path, text.as_bytes())?;
    Ok(file)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(io(dir))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    std::fs::create_dir_all(dir).map_err(io(dir))
}

/// Writes a new file that only its owner can read. `create_new` refuses to overwrite a key.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(io(path))?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(io(path))
}

/// Every key file in `dir`, oldest first. A missing directory holds no keys.
pub fn load_dir(dir: &Path) -> Result<Vec<KeyFile>, KeyError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(KeyError::Io { path: dir.to_path_buf(), source: e }),
    };
    let mut keys = Vec::new();
    for entry in entries {
        let path = entry.map_err(io(dir))?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        let file: KeyFile = serde_json::from_str(&text).map_err(|_| KeyError::Malformed(path.clone()))?;
        let key = private_key_from_multibase(&file.private_key_multibase)
            .ok_or_else(|| KeyError::Malformed(path.clone()))?;
        if public_key_multibase(&key.verifying_key()) != file.public_key_multibase {
            return Err(KeyError::Malformed(path));
        }
        keys.push(file);
    }
    keys.sort_by(|a, b| (a.created, &a.kid).cmp(&(b.created, &b.kid)));
    Ok(keys)
}

/// The newest key in `files`: the one that signs.
pub fn current(files: &[KeyFile], dir: &Path) -> Result<SigningIdentity, KeyError> {
    let file = files.last().ok_or_else(|| KeyError::NoKey(dir.to_path_buf()))?;
    let key = private_key_from_multibase(&file.private_key_multibase)
        .ok_or_else(|| KeyError::Malformed(dir.to_path_buf()))?;
    Ok(SigningIdentity { kid: file.kid.clone(), key })
}

/// The `did:web` identifier of a server at `public_url`: `https://a.go.id:8443/penkom` becomes
/// `did:web:a.go.id%3A8443:penkom`, whose document is then at `/.well-known/did.json`
/// (for a path, at `/penkom/did.json`).
pub fn did_web(public_url: &str) -> String {
    let rest = public_url.split_once("://").map_or(public_url, |(_, r)| r).trim_end_matches('/');
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut did = format!("did:web:{}", host.replace(':', "%3A"));
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        did.push(':');
        did.push_str(segment);
    }
    did
}

/// The set of published public keys, as the DID document and JWKS publish them.
#[derive(Debug, Clone, Default)]
pub struct PublicKeys(pub Vec<PublicKey>);

impl PublicKeys {
    /// The key a verification method names: `did:web:…#kid`, or the bare `kid`.
    pub fn resolve(&self, method: &str) -> Option<VerifyingKey> {
        let kid = method.rsplit_once('#').map_or(method, |(_, k)| k);
        self.0.iter().find(|k| k.kid == kid).map(|k| k.key)
    }

    pub fn did_document(&self, did: &str) -> Value {
        let methods: Vec<Value> = self
            .0
            .iter()
            .map(|k| {
                json!({
                    "id": format!("{did}#{}", k.kid),
                    "type": "Multikey",
                    "controller": did,
                    "publicKeyMultibase": public_key_multibase(&k.key),
                })
            })
            .collect();
        let ids: Vec<Value> = methods.iter().map(|m| m["id"].clone()).collect();
        json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": did,
            "verificationMethod": methods,
            "assertionMethod": ids,
        })
    }

    pub fn jwks(&self, did: &str) -> Value {
        let keys: Vec<Value> = self
            .0
            .iter()
            .map(|k| {
                json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": "EdDSA",
                    "use": "sig",
                    "kid": format!("{did}#{}", k.kid),
                    "x": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(k.key.as_bytes()),
                })
            })
            .collect();
        json!({ "keys": keys })
    }

    /// Reads a JWKS document (as served at `/.well-known/jwks.json`); keys that are not
    /// Ed25519 are skipped.
    pub fn from_jwks(jwks: &Value) -> Self {
        let keys = jwks["keys"]
            .as_array()
            .map(|keys| {
                keys.iter()
                    .filter(|k| k["kty"] == "OKP" && k["crv"] == "Ed25519")
                    .filter_map(|k| {
                        let x =
                            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(k["x"].as_str()?).ok()?;
                        let key = VerifyingKey::from_bytes(&x.try_into().ok()?).ok()?;
                        let kid = k["kid"].as_str()?;
                        let kid = kid.rsplit_once('#').map_or(kid, |(_, f)| f).to_string();
                        Some(PublicKey { kid, key })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self(keys)
    }

    /// A public key from its stored Multikey form.
    pub fn parse_one(kid: &str, multibase: &str) -> Option<PublicKey> {
        Some(PublicKey { kid: kid.to_string(), key: public_key_from_multibase(multibase)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn did_web_encodes_port_and_path() {
        assert_eq!(did_web("https://penkom.balikpapan.go.id/"), "did:web:penkom.balikpapan.go.id");
        assert_eq!(did_web("http://127.0.0.1:3000"), "did:web:127.0.0.1%3A3000");
        assert_eq!(did_web("https://a.go.id:8443/penkom"), "did:web:a.go.id%3A8443:penkom");
    }

    #[test]
    fn generated_keys_are_private_load_back_and_the_newest_signs() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let first = generate(&keys, t).unwrap();
        let second = generate(&keys, t + chrono::Duration::days(1)).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                std::fs::metadata(keys.join(format!("{}.json", first.kid))).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let files = load_dir(&keys).unwrap();
        assert_eq!(
            files.iter().map(|f| f.kid.clone()).collect::<Vec<_>>(),
            [first.kid.clone(), second.kid.clone()]
        );
        assert_eq!(current(&files, &keys).unwrap().kid, second.kid);
        let published = PublicKeys(
            files.iter().map(|f| PublicKeys::parse_one(&f.kid, &f.public_key_multibase).unwrap()).collect(),
        );
        let did = did_web("http://penkom.test");
        let back = PublicKeys::from_jwks(&published.jwks(&did));
        assert_eq!(back.0, published.0);
        assert!(back.resolve(&format!("{did}#{}", first.kid)).is_some());
        assert!(back.resolve("did:web:other#nope").is_none());
        assert_eq!(published.did_document(&did)["assertionMethod"].as_array().unwrap().len(), 2);
    }
}
