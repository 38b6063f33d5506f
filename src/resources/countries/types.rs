use serde::Serialize;

/// The Country object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Country {
    pub capital: Option<String>,
    pub common_name: String,
    pub dialing_prefix: Option<String>,
    pub domain: Option<String>,
    pub iso_3166_alpha_2: String,
    pub iso_3166_alpha_3: String,
    pub iso_3166_numeric: i32,
    pub mcc: Option<String>,
    pub official_name: String,
    pub region: Option<String>,
    pub subregion: Option<String>,
}
