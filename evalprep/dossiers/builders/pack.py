"""The county pack: the briefing pack (PDF and Excel) and every village's
dossier in one ZIP. From the command line it is built here, village after
village; as a background job the villages are fanned out to the workers and
joined by `pack_zip` (see evalprep/dossiers/jobs.py)."""

import io
import zipfile
from collections.abc import Iterable

from evalprep.core.models import Village
from evalprep.dossiers.builders.base import ZIP, Builder, DossierContext


def pack_villages(ctx: DossierContext):
    return Village.objects.filter(township__county=ctx.county).select_related("township").order_by("code")


def village_context(ctx: DossierContext, village: Village) -> DossierContext:
    return DossierContext(scope="village", unit=village, county=ctx.county, campaign=ctx.campaign, generated_at=ctx.generated_at)


def pack_zip(files: Iterable[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(name, content)
    return buffer.getvalue()


def briefing_files(ctx: DossierContext, progress=lambda p, m: None) -> list[tuple[str, bytes]]:
    from evalprep.dossiers.builders import builder_for

    briefing = builder_for("county_briefing")
    result = []
    for fmt in briefing.formats:
        name, _mime, content = briefing.render(ctx, fmt, progress)
        result.append((name, content))
    return result


class CountyPack(Builder):
    identifier = "county_pack"
    title = "迎评资料包"
    scope = "county"
    formats = ("zip",)
    audience = "county"

    def render(self, ctx: DossierContext, fmt: str, progress=lambda p, m: None) -> tuple[str, str, bytes]:
        from evalprep.dossiers.builders import builder_for

        self.check_format(fmt)
        village_builder = builder_for("village_dossier")
        files = briefing_files(ctx)
        villages = list(pack_villages(ctx))
        for index, village in enumerate(villages):
            progress(5 + 90 * index // max(1, len(villages)), f"正在生成：{village.name}")
            name, _mime, content = village_builder.render(village_context(ctx, village), "pdf")
            files.append((f"各村档案/{village.township.name}/{name}", content))
        return self.filename(ctx, "zip"), ZIP, pack_zip(files)
