//! The catalogue of partner scopes, spelled exactly as on the wire.
//!
//! `X.manage` grants `X.create`, `X.read`, `X.update` and `X.delete`. Routes declare the scopes
//! they accept (any of them is enough); a token's scopes are a subset of its partner's
//! `available_scopes`.

use std::fmt;

macro_rules! scopes {
    ($( $variant:ident = $wire:literal ),* $(,)?) => {
        /// One scope of the catalogue.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Scope { $( $variant ),* }

        impl Scope {
            /// Every scope, in catalogue order.
            pub const ALL: &'static [Scope] = &[ $( Scope::$variant ),* ];

            pub const fn as_str(self) -> &'static str {
                match self { $( Scope::$variant => $wire ),* }
            }

            pub fn parse(s: &str) -> Option<Scope> {
                match s { $( $wire => Some(Scope::$variant), )* _ => None }
            }
        }
    };
}

scopes! {
    AccesscontrolManage = "accesscontrol.manage",
    AccesscontrolCreate = "accesscontrol.create",
    AccesscontrolRead = "accesscontrol.read",
    AccesscontrolUpdate = "accesscontrol.update",
    AccesscontrolDelete = "accesscontrol.delete",
    AdminManage = "admin.manage",
    AdminCreate = "admin.create",
    AdminRead = "admin.read",
    AdminUpdate = "admin.update",
    AdminDelete = "admin.delete",
    AppManage = "app.manage",
    AppCreate = "app.create",
    AppRead = "app.read",
    AppUpdate = "app.update",
    AppDelete = "app.delete",
    AppReadDescendant = "app.read_descendant",
    BatchManage = "batch.manage",
    BatchCreate = "batch.create",
    BatchRead = "batch.read",
    BatchUpdate = "batch.update",
    BatchDelete = "batch.delete",
    CallsManage = "calls.manage",
    CallsCreate = "calls.create",
    CallsRead = "calls.read",
    CallsUpdate = "calls.update",
    CallsDelete = "calls.delete",
    CallsReadDescendant = "calls.read_descendant",
    CountriesManage = "countries.manage",
    CountriesCreate = "countries.create",
    CountriesRead = "countries.read",
    CountriesUpdate = "countries.update",
    CountriesDelete = "countries.delete",
    EndpointsManage = "endpoints.manage",
    EndpointsCreate = "endpoints.create",
    EndpointsRead = "endpoints.read",
    EndpointsUpdate = "endpoints.update",
    EndpointsDelete = "endpoints.delete",
    InvoicesManage = "invoices.manage",
    InvoicesCreate = "invoices.create",
    InvoicesRead = "invoices.read",
    InvoicesUpdate = "invoices.update",
    InvoicesDelete = "invoices.delete",
    LookupDidsRead = "lookup.dids.read",
    LookupDidsAllowCarrier = "lookup.dids.allow_carrier",
    LookupDidsAllowCnam = "lookup.dids.allow_cnam",
    LookupDidsAllowLrn = "lookup.dids.allow_lrn",
    OauthManage = "oauth.manage",
    OauthCreate = "oauth.create",
    OauthRead = "oauth.read",
    OauthUpdate = "oauth.update",
    OauthDelete = "oauth.delete",
    OauthManageAllTokens = "oauth.manage_all_tokens",
    OauthAllowTokenScopeUpdate = "oauth.allow_token_scope_update",
    PartnersManage = "partners.manage",
    PartnersCreate = "partners.create",
    PartnersRead = "partners.read",
    PartnersUpdate = "partners.update",
    PartnersDelete = "partners.delete",
    PartnersBillingMethodManage = "partners.billing_method.manage",
    PartnersBillingMethodCreate = "partners.billing_method.create",
    PartnersBillingMethodRead = "partners.billing_method.read",
    PartnersBillingMethodUpdate = "partners.billing_method.update",
    PartnersBillingMethodDelete = "partners.billing_method.delete",
    PhonenumberManage = "phonenumber.manage",
    PhonenumberCreate = "phonenumber.create",
    PhonenumberRead = "phonenumber.read",
    PhonenumberUpdate = "phonenumber.update",
    PhonenumberDelete = "phonenumber.delete",
    PushManage = "push.manage",
    PushCreate = "push.create",
    PushRead = "push.read",
    PushUpdate = "push.update",
    PushDelete = "push.delete",
    RatingManage = "rating.manage",
    RatingCreate = "rating.create",
    RatingRead = "rating.read",
    RatingUpdate = "rating.update",
    RatingDelete = "rating.delete",
    ShortenerManage = "shortener.manage",
    ShortenerCreate = "shortener.create",
    ShortenerRead = "shortener.read",
    ShortenerUpdate = "shortener.update",
    ShortenerDelete = "shortener.delete",
    ShortenerAllowLinkModeProxypass = "shortener.allow_link_mode_proxypass",
    ShortenerAllowDomainModeProxypass = "shortener.allow_domain_mode_proxypass",
    ShortenerAllowDomainSecureRequired = "shortener.allow_domain_secure_required",
    SmsManage = "sms.manage",
    SmsCreate = "sms.create",
    SmsRead = "sms.read",
    SmsUpdate = "sms.update",
    SmsDelete = "sms.delete",
    SmsReadDescendant = "sms.read_descendant",
    StorageManage = "storage.manage",
    StorageCreate = "storage.create",
    StorageRead = "storage.read",
    StorageUpdate = "storage.update",
    StorageDelete = "storage.delete",
    TrunkGroupsManage = "trunk_groups.manage",
    TrunkGroupsCreate = "trunk_groups.create",
    TrunkGroupsRead = "trunk_groups.read",
    TrunkGroupsUpdate = "trunk_groups.update",
    TrunkGroupsDelete = "trunk_groups.delete",
    TrunkGroupsTrunksManage = "trunk_groups.trunks.manage",
    TrunkGroupsTrunksCreate = "trunk_groups.trunks.create",
    TrunkGroupsTrunksRead = "trunk_groups.trunks.read",
    TrunkGroupsTrunksUpdate = "trunk_groups.trunks.update",
    TrunkGroupsTrunksDelete = "trunk_groups.trunks.delete",
    VerificationManage = "verification.manage",
    VerificationCreate = "verification.create",
    VerificationRead = "verification.read",
    VerificationUpdate = "verification.update",
    VerificationDelete = "verification.delete",
}

impl Scope {
    /// The `X.manage` scope that also grants this one (`X.create/read/update/delete`).
    pub fn manage_parent(self) -> Option<Scope> {
        let s = self.as_str();
        let (group, verb) = s.rsplit_once('.')?;
        if !matches!(verb, "create" | "read" | "update" | "delete") {
            return None;
        }
        Scope::parse(&format!("{group}.manage"))
    }

    pub fn is_admin(self) -> bool {
        self.as_str().starts_with("admin.")
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes as a bitset.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet([u64; 2]);

const _: () = assert!(Scope::ALL.len() <= 128, "grow ScopeSet");

impl ScopeSet {
    pub const EMPTY: ScopeSet = ScopeSet([0; 2]);

    pub fn all() -> Self {
        Scope::ALL.iter().copied().collect()
    }

    pub fn insert(&mut self, s: Scope) {
        let i = s as usize;
        self.0[i / 64] |= 1 << (i % 64);
    }

    pub fn contains(&self, s: Scope) -> bool {
        let i = s as usize;
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    /// Whether the set grants `s` directly or through its `X.manage` scope.
    pub fn grants(&self, s: Scope) -> bool {
        self.contains(s) || s.manage_parent().is_some_and(|m| self.contains(m))
    }

    /// Whether any scope of `any_of` is granted.
    pub fn grants_any(&self, any_of: &[Scope]) -> bool {
        any_of.iter().any(|s| self.grants(*s))
    }

    pub fn intersect(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet([self.0[0] & other.0[0], self.0[1] & other.0[1]])
    }

    pub fn is_subset_of(&self, other: &ScopeSet) -> bool {
        self.intersect(other) == *self
    }

    pub fn without_admin(&self) -> ScopeSet {
        self.iter().filter(|s| !s.is_admin()).collect()
    }

    pub fn has_admin(&self) -> bool {
        self.iter().any(|s| s.is_admin())
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        Scope::ALL.iter().copied().filter(move |s| self.contains(*s))
    }

    /// The scopes in alphabetical order of their names, as the reference lists them.
    pub fn sorted(&self) -> impl Iterator<Item = Scope> + '_ {
        static SORTED: std::sync::OnceLock<Vec<Scope>> = std::sync::OnceLock::new();
        SORTED
            .get_or_init(|| {
                let mut v = Scope::ALL.to_vec();
                v.sort_by_key(|s| s.as_str());
                v
            })
            .iter()
            .copied()
            .filter(move |s| self.contains(*s))
    }

    /// Wire strings in alphabetical order, as the reference lists them.
    pub fn to_strings(&self) -> Vec<String> {
        self.sorted().map(|s| s.as_str().to_owned()).collect()
    }

    /// Parses wire strings; the unknown ones are returned as the error.
    pub fn parse_all<S: AsRef<str>>(items: &[S]) -> Result<ScopeSet, Vec<String>> {
        let mut set = ScopeSet::EMPTY;
        let mut bad = Vec::new();
        for item in items {
            match Scope::parse(item.as_ref().trim()) {
                Some(s) => set.insert(s),
                None => bad.push(item.as_ref().to_owned()),
            }
        }
        if bad.is_empty() {
            Ok(set)
        } else {
            Err(bad)
        }
    }

    /// Parses strings stored by this server; unknown ones (from a newer version) are skipped.
    pub fn from_stored(items: &[String]) -> ScopeSet {
        items.iter().filter_map(|s| Scope::parse(s)).collect()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut set = ScopeSet::EMPTY;
        for s in iter {
            set.insert(s);
        }
        set
    }
}

/// On the wire: the names, alphabetically.
impl serde::Serialize for ScopeSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(None)?;
        for scope in self.sorted() {
            seq.serialize_element(scope.as_str())?;
        }
        seq.end()
    }
}

impl utoipa::PartialSchema for ScopeSet {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::String))
            .description(Some("Scope names, alphabetically"))
            .into()
    }
}

impl utoipa::ToSchema for ScopeSet {}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(|s| s.as_str())).finish()
    }
}

#[cfg(test)]
mod tests;
