//! `GET /xapi/about`: the versions this LRS speaks. No authentication.

use actix_web::HttpResponse;

pub async fn get() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "version": ["1.0.3", "2.0.0"],
        "extensions": {
            "https://learnlog.dev/xapi/extensions/server": {
                "name": "learnlog",
                "version": env!("CARGO_PKG_VERSION"),
            }
        }
    }))
}
