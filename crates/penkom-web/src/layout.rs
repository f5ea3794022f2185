//! What every page's frame needs: title, menu, the sign-out form's CSRF token, the one-time
//! message. Each page's template struct holds one as `l`; `templates/base.html` reads it.

use crate::access::{Viewer, Visitor};
use crate::flash::Flash;

pub struct Layout {
    pub title: String,
    /// The menu item of this page (`beranda`, `katalog`, `riwayat`, `sertifikat`), or empty.
    pub nav: &'static str,
    /// Show the menu and the sign-out button.
    pub signed_in: bool,
    /// The person studies (the study record is theirs to see).
    pub learner: bool,
    pub csrf: String,
    pub flash: Option<Flash>,
    /// Appended to asset links so a new release is fetched, not taken from a browser's cache.
    pub assets: &'static str,
}

impl Layout {
    /// The frame of a page for a signed-in person.
    pub fn page(viewer: &Viewer, title: impl Into<String>, nav: &'static str) -> Self {
        let c = &viewer.caller;
        Self {
            title: title.into(),
            nav,
            signed_in: !c.must_change_password,
            learner: c.has(penkom_core::Role::Learner),
            csrf: viewer.csrf.clone(),
            flash: viewer.flash.clone(),
            assets: crate::assets::version(),
        }
    }

    /// The frame of a public page (sign-in), or of a page shown to someone who must replace a
    /// one-time password first (no menu: every item would send them back here).
    pub fn public(visitor: &Visitor, title: impl Into<String>, csrf: String) -> Self {
        Self {
            title: title.into(),
            nav: "",
            signed_in: false,
            learner: false,
            csrf,
            flash: visitor.flash.clone(),
            assets: crate::assets::version(),
        }
    }

    /// The frame of an error page, which knows nothing of who is looking.
    pub fn bare(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            nav: "",
            signed_in: false,
            learner: false,
            csrf: String::new(),
            flash: None,
            assets: crate::assets::version(),
        }
    }
}
