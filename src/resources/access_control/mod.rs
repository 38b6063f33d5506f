//! Access control. For now the ACL object, shared by partners (and later trunk groups and
//! trunks); the rule routes arrive with the access-control issue.

pub mod types;
