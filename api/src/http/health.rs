//! `/healthz`: the process is alive. `/readyz`: the database answers, within
//! a second (load balancers and orchestrators give up after a few).

use actix_web::{HttpResponse, web};
use sea_orm::DatabaseConnection;

use crate::database::PROBE_TIMEOUT;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

pub async fn readyz(db: web::Data<DatabaseConnection>) -> HttpResponse {
    let reason = match tokio::time::timeout(PROBE_TIMEOUT, db.ping()).await {
        Ok(Ok(())) => return HttpResponse::Ok().content_type("text/plain").body("ready"),
        Ok(Err(err)) => err.to_string(),
        Err(_) => "no answer within 1 s".to_owned(),
    };
    tracing::warn!(reason, "readiness check failed");
    HttpResponse::ServiceUnavailable()
        .content_type("text/plain")
        .body("database unreachable")
}
