//! What countries offer to other resources: a country's codes by its alpha-2 code, read once
//! (the countries are reference data from the migrations; no route changes them).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::OnceCell;

use super::repo;
use crate::http::error::ApiResult;
use crate::state::AppState;

#[derive(Debug, Default)]
pub struct Codes {
    /// alpha-2 → (alpha-3, first mobile country code).
    by_alpha2: HashMap<String, (String, Option<i32>)>,
}

impl Codes {
    pub fn alpha3(&self, alpha2: &str) -> Option<&str> {
        self.by_alpha2.get(alpha2).map(|c| c.0.as_str())
    }

    pub fn mcc(&self, alpha2: &str) -> Option<i32> {
        self.by_alpha2.get(alpha2).and_then(|c| c.1)
    }
}

/// The country codes, loaded on first use by this instance.
pub async fn codes(state: &AppState) -> ApiResult<Arc<Codes>> {
    let cell = state.services.get_or_init(OnceCell::<Arc<Codes>>::new);
    let codes = cell
        .get_or_try_init(|| async {
            let rows = repo::reference_codes(&state.pool).await?;
            let by_alpha2 = rows
                .into_iter()
                .map(|(a2, a3, mcc)| {
                    let mcc = mcc.and_then(|m| m.split(',').next().and_then(|s| s.trim().parse().ok()));
                    (a2, (a3, mcc))
                })
                .collect();
            Ok::<_, crate::http::error::ApiError>(Arc::new(Codes { by_alpha2 }))
        })
        .await?;
    Ok(codes.clone())
}
