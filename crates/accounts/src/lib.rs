//! Accounts: people, their roles and work units, sign-in, and bulk import from CSV.
//!
//! The [`Accounts`] service owns every rule about who a caller is: how passwords are hashed,
//! how tokens are issued and checked, how failed sign-ins are limited, and how a spreadsheet of
//! people becomes rows in the database. It knows nothing of HTTP; the API crate maps its errors
//! to status codes.

pub use penkom_storage::audit;
pub mod caller_cache;
pub mod directory;
pub mod import;
pub mod password;
pub mod people;
pub mod profile;
pub mod service;
pub mod signin;
pub mod token;

pub use directory::{PeopleFilter, PeoplePage};
pub use import::{ImportError, ImportReport, PersonRow, RowError, parse_people_csv};
pub use password::{Password, PasswordError};
pub use people::{AddAdminError, OneTimePasswordError, SetPasswordError};
pub use profile::{OpdRef, Profile, ProfileError};
pub use service::{AccountPolicy, Accounts};
pub use signin::{AuthError, Caller, ChangePasswordError, IssuedToken, SignInError};
