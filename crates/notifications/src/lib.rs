//! E-mail: the durable outbox, the transports that deliver it, the texts (Bahasa Indonesia,
//! plain text and HTML), and the yearly reminder.
//!
//! A message is written to the outbox in the transaction of the event it reports (a certificate
//! issued or revoked), so it exists exactly when the event does. A worker on every node delivers
//! what is due, with retries and backoff; the message keeps one Message-ID for all attempts.

pub mod lease;
pub mod outbox;
pub mod reminder;
pub mod templates;
pub mod transport;

pub use outbox::{NewMail, Outbox};
pub use transport::{FolderTransport, MemoryTransport, SmtpTransport, Transport};
