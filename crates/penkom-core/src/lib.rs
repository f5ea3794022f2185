//! Penkom's core: the pure types and rules every other crate shares.
//!
//! Nothing in this crate does IO: no database, no network, no files, no reading of the system
//! clock except through the [`Clock`] trait. That keeps every rule here a plain function that
//! unit tests and property tests can call directly, and it means a value of one of these types
//! has already been validated: a [`Nip`] with an impossible birth date cannot exist.

pub mod canonical_json;
pub mod clock;
pub mod email;
pub mod employment;
pub mod html;
pub mod ids;
pub mod jp;
pub mod login;
pub mod names;
pub mod nip;
pub mod role;
pub mod text;

pub use clock::{Clock, LocalZone, ManualClock, SystemClock};
pub use email::{Email, EmailError};
pub use employment::{EmploymentType, EmploymentTypeError};
pub use ids::{OpdId, UserId};
pub use jp::{Jp, JpError};
pub use login::{Login, LoginError};
pub use names::{NameError, OpdCode, OpdName, PersonName};
pub use nip::{Nip, NipError};
pub use role::{Role, RoleError};
