use async_graphql::{Context, InputObject, Object};

use super::NearInput;
use crate::{
    error::AppError,
    graphql::{
        connection::{PageArgs, fingerprint, listing_complexity, paginate},
        context::ContextExt,
        types::{
            centre::Centre,
            enums::{Gender, ServiceCategory, TargetGroup, to_db},
            help_match::{HelpMatch, HelpMatchConnection},
            service::Service,
        },
    },
    registry::{
        self,
        find_help::{HelpNeed, MatchDetail},
    },
};

/// What a family or a social worker is looking for. All conditions combine
/// with AND; list conditions match any of their items.
#[derive(InputObject, Debug)]
pub struct HelpNeedInput {
    /// The child's age in years (0..18).
    pub child_age: Option<i32>,
    /// The child's gender, to skip centres for girls only or boys only.
    pub gender: Option<Gender>,
    /// Groups the child belongs to; services for any of them match.
    pub target_groups: Option<Vec<TargetGroup>>,
    /// Kinds of help wanted; any of them matches.
    pub categories: Option<Vec<ServiceCategory>>,
    /// Where the child lives: centres in this area (a region includes its
    /// districts), plus hotlines covering it.
    pub area_code: Option<String>,
    /// Where the child is now: results are ordered nearest first.
    pub near: Option<NearInput>,
    /// A language the child or family speaks (ISO 639-1: ky, ru, uz, en).
    pub language: Option<String>,
    /// Text found in the service's or centre's name or description, any
    /// language, any case.
    pub text: Option<String>,
    /// Drop services whose places are all taken. Services without places to
    /// count (benefits, hotlines) always match.
    #[graphql(default = true)]
    pub available_only: bool,
    /// Only matches whose service, centre or places changed at or after this
    /// time (for apps that keep their results).
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<HelpNeedInput> for HelpNeed {
    fn from(need: HelpNeedInput) -> Self {
        Self {
            child_age: need.child_age,
            gender: need.gender.map(Into::into),
            target_groups: to_db(need.target_groups),
            categories: to_db(need.categories),
            area_code: need.area_code,
            near: need.near.map(Into::into),
            language: need.language,
            text: need.text,
            available_only: need.available_only,
            updated_since: need.updated_since,
        }
    }
}

#[derive(Default)]
pub struct FindHelpQuery;

#[Object]
impl FindHelpQuery {
    /// The headline question: which services at which centres fit this
    /// child's need, with free places now. Nearest first when `near` is
    /// given; then services with places counted before those without; then
    /// fresh counts before stale ones (see `Capacity.stale`); then most free
    /// places; ties by freshest count.
    #[graphql(complexity = "listing_complexity(first, None, child_complexity)")]
    async fn find_help(
        &self,
        ctx: &Context<'_>,
        need: HelpNeedInput,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<HelpMatchConnection, AppError> {
        let need = HelpNeed::from(need);
        let viewer = ctx.viewer()?;
        let access = viewer.location_access();
        let query = fingerprint(&("findHelp", &need, &access));
        let db = ctx.db()?;
        let selection = ctx.look_ahead();
        let matches = [selection.field("nodes"), selection.field("edges").field("node")];
        let detail = MatchDetail {
            service: Service::detail_selected(&matches.each_ref().map(|m| m.field("service"))),
            centre: Centre::detail_selected(&matches.each_ref().map(|m| m.field("centre"))),
            capacities: matches.iter().any(|m| m.field("capacity").exists()),
        };
        let search = &registry::find_help::search(
            db,
            ctx.reference()?,
            need,
            access,
            ctx.freshness(),
            ctx.lang(None).into(),
        )
        .await?
        .with_detail(detail)
        .learning_in(ctx.first_circle());
        paginate(
            ctx,
            PageArgs::new(first, after, None, None),
            query,
            || search.count(db),
            |window| async move {
                let rows = search.page(db, window).await?;
                Ok(rows.into_iter().map(HelpMatch::new).collect())
            },
        )
        .await
        .map(HelpMatchConnection)
    }
}
