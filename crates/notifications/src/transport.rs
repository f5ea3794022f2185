//! Where mail goes: an SMTP server, a folder of `.eml` files (the embedded default), or memory
//! (tests).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Delivers one formatted message. An `Ok` means the receiving side accepted it.
#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    async fn send(&self, id: &str, message: Message) -> Result<(), String>;
    fn kind(&self) -> &'static str;
}

/// SMTP with STARTTLS or TLS, from a URL such as `smtps://user:pass@host:465` or
/// `smtp://host:587?tls=required` (plain `smtp://host:25` only for a local relay).
pub struct SmtpTransport(AsyncSmtpTransport<Tokio1Executor>);

impl SmtpTransport {
    pub fn from_url(url: &str) -> Result<Self, String> {
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| e.to_string())?;
        Ok(Self(builder.timeout(Some(std::time::Duration::from_secs(20))).build()))
    }
}

#[async_trait::async_trait]
impl Transport for SmtpTransport {
    async fn send(&self, _id: &str, message: Message) -> Result<(), String> {
        self.0.send(message).await.map(|_| ()).map_err(|e| e.to_string())
    }

    fn kind(&self) -> &'static str {
        "smtp"
    }
}

/// Writes each message to `<dir>/<id>.eml`, replacing a file of an earlier attempt.
pub struct FolderTransport(pub PathBuf);

#[async_trait::async_trait]
impl Transport for FolderTransport {
    async fn send(&self, id: &str, message: Message) -> Result<(), String> {
        let dir = self.0.clone();
        let bytes = message.formatted();
        let id = id.to_string();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            // Written under a temporary name and renamed, so a reader never sees half a message.
            let tmp = dir.join(format!(".{id}.tmp"));
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, dir.join(format!("{id}.eml")))
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
    }

    fn kind(&self) -> &'static str {
        "folder"
    }
}

/// A message as a transport saw it: outbox id and the formatted RFC 5322 bytes.
pub type SentMail = (String, Vec<u8>);

/// Keeps messages in memory, for tests.
#[derive(Clone, Default)]
pub struct MemoryTransport(pub Arc<Mutex<Vec<SentMail>>>);

#[async_trait::async_trait]
impl Transport for MemoryTransport {
    async fn send(&self, id: &str, message: Message) -> Result<(), String> {
        let mut sent = self.0.lock().map_err(|_| "poisoned".to_string())?;
        sent.push((id.to_string(), message.formatted()));
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}
