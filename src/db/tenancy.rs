//! Whose objects a query may touch: the value every repository takes instead of the HTTP caller.

use uuid::Uuid;

/// A partner's subtree (every path starting with its own), or every partner's objects (`admin`,
/// through the `/admin` routes and for the server's own work).
#[derive(Clone, Copy, Debug)]
pub struct Tenancy<'a> {
    pub partner_sid: Uuid,
    pub tree_path: &'a str,
    pub admin: bool,
}

impl Tenancy<'_> {
    /// Whether an object of the partner at `tree_path` is visible (its own tree, or admin).
    pub fn sees(&self, tree_path: &str) -> bool {
        self.admin || tree_path.starts_with(self.tree_path)
    }

    /// The LIKE pattern matching the subtree (`%` for admin: everything).
    pub fn subtree_pattern(&self) -> String {
        if self.admin {
            "%".into()
        } else {
            format!("{}%", self.tree_path.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
        }
    }
}
