//! Which of a batch's keys a table holds already: asked only after the table's unique key refused
//! the batch (a batch is inserted without asking first), to name every taken one.

use sqlx::PgExecutor;
use uuid::Uuid;

use super::RepoResult;

/// The keys among `keys` that `table` holds in its unique column `column`, in the order given.
/// One probe of the key each, whatever the batch's size: a subquery in the select list is never
/// turned into a join, so a large batch is never read as a scan of the whole table (as
/// `column = ANY($1)` was, for 10,000 numbers in a 1M-row inventory). `table` and `column` are
/// the callers' constants, never input.
pub async fn stored<'e>(
    db: impl PgExecutor<'e>,
    table: &'static str,
    column: &'static str,
    keys: &[Uuid],
) -> RepoResult<Vec<Uuid>> {
    let sql = format!(
        "SELECT k FROM (
             SELECT n.k, n.i, (SELECT true FROM {table} t WHERE t.{column} = n.k) AS hit
               FROM unnest($1::uuid[]) WITH ORDINALITY AS n(k, i)) x
          WHERE hit ORDER BY i"
    );
    Ok(sqlx::query_scalar(&sql).bind(keys).fetch_all(db).await?)
}
