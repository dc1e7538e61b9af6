use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::admin_area;
use sea_orm::prelude::Uuid;

use super::{
    enums::AreaLevel,
    text::{Lang, Translation, in_lang, translations},
};
use crate::{
    error::AppError,
    graphql::{context::ContextExt, ids, plain::plain_fields},
};

#[derive(Clone, Debug)]
pub struct AdminArea(pub Arc<admin_area::Model>);

impl AdminArea {
    /// The area another record refers to, which must exist.
    pub async fn load(ctx: &Context<'_>, id: Uuid) -> Result<Self, AppError> {
        ctx.loaders()?
            .admin_area
            .load_one(id)
            .await?
            .map(AdminArea)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("area {id} is referred to but missing")))
    }
}

impl AdminArea {
    fn global_id(&self) -> ID {
        ids::encode(ids::NodeKind::AdminArea, self.0.id)
    }

    fn name_in(&self, lang: Lang) -> String {
        in_lang(&self.0.name, lang).unwrap_or_default()
    }
}

plain_fields!(AdminArea, |area, ctx, nested| {
    "id" => area.id(ctx),
    "code" => area.code(ctx),
    "name" => area.name(ctx, None),
    "level" => area.level(ctx),
});

/// A Kyrgyz administrative unit: one of the 7 regions, the cities of Bishkek
/// and Osh, or a district.
#[Object]
impl AdminArea {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// ISO 3166-2:KG code for regions and cities (e.g. `KG-GB`), own codes for
    /// districts (e.g. `KG-GB-LEN`).
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The name, in `lang` or the request's language.
    async fn name(&self, ctx: &Context<'_>, lang: Option<Lang>) -> String {
        self.name_in(ctx.lang(lang))
    }

    /// Region, city or district.
    async fn level(&self) -> AreaLevel {
        self.0.level.into()
    }

    /// The area this one lies in; null for regions and the two cities.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<AdminArea>, AppError> {
        let Some(parent_id) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(ctx.loaders()?.admin_area.load_one(parent_id).await?.map(AdminArea))
    }

    /// Every language of the name, for editors.
    async fn translations(&self) -> Vec<Translation> {
        translations(&[("name", Some(&self.0.name))])
    }
}
