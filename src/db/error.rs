//! The repository layer's error: what a query can fail with, in database terms. The HTTP layer
//! maps it once (`http/error.rs`) to the API's bodies and status codes.

#[derive(Debug)]
pub enum RepoError {
    /// The database failed or refused (a named constraint, a serialization failure, ...).
    Db(sqlx::Error),
    /// A list parameter (`filter`, `order`, ...) that cannot be used: the client's error.
    BadParameter { field: &'static str, message: String },
    /// A row the query had just written or locked is not there: an invariant broke.
    Vanished(&'static str),
}

pub type RepoResult<T> = Result<T, RepoError>;

impl RepoError {
    /// Whether the database refused the write for the named constraint (a unique key taken, ...).
    pub fn violates(&self, constraint: &str) -> bool {
        matches!(self, RepoError::Db(sqlx::Error::Database(db)) if db.constraint() == Some(constraint))
    }
}

impl From<sqlx::Error> for RepoError {
    fn from(e: sqlx::Error) -> Self {
        RepoError::Db(e)
    }
}

impl std::fmt::Display for RepoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RepoError::Db(e) => write!(f, "{e}"),
            RepoError::BadParameter { field, message } => write!(f, "{field}: {message}"),
            RepoError::Vanished(what) => write!(f, "{what} vanished"),
        }
    }
}

impl std::error::Error for RepoError {}
