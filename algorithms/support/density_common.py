"""The density family (heatmap, heatmapseries, heatmapuncertainty, hotspots): its parameter table,
declared once, and `DensityInputs.read`, which reads those parameters once into a checked core
request (core/density/pipeline.py) and the weighed photos."""

from dataclasses import dataclass
from typing import Optional

from qgis.core import QgsCoordinateReferenceSystem, QgsProcessingException

from ...core.density import kde
from ...core.density import weighting as bias
from ...core.density.classes import METHODS
from ...core.density.pipeline import Photos, Request, weigh
from .layers import clip_source, clip_wkbs, field_name, numeric_field, point_source, read_points, target_crs
from .parameters import enum, field_of, integer, number, simple, source

POINTS, RADIUS, PIXEL_SIZE, KERNEL = "POINTS", "RADIUS", "PIXEL_SIZE", "KERNEL"
TARGET_CRS, CLIP, CLASSES, OUTPUT_VALUE, MIN_OWNERS = "TARGET_CRS", "CLIP", "CLASSES", "OUTPUT_VALUE", "MIN_OWNERS"
MAX_OWNER_SHARE = "MAX_OWNER_SHARE"
CLASSIFICATION = "CLASSIFICATION"
MAX_SHARE = 0.7  # the default (1, k) dominance rule: README, "Is this hot spot real?"
WEIGHTING, AUDIENCE, OWNER_FIELD, TAKEN_FIELD, LOCAL_DAYS = (
    "WEIGHTING",
    "AUDIENCE",
    "OWNER_FIELD",
    "TAKEN_FIELD",
    "LOCAL_DAYS",
)
WEIGHT = "WEIGHT"

WEIGHTING_HELP = (
    "<b>Weighting</b>: photos (as in the study), photo-user-days (an owner counts at most once per "
    "day per place) or unique owners (once per place); a place is a square cell whose side is the "
    "radius. <b>Audience</b>: all, locals or tourists; an owner whose photos in the layer span more "
    "than 30 days counts as a local. Both need the owner and taken fields (as the harvest writes them)."
)


def weighting_parameters(audiences=bias.AUDIENCES) -> tuple:
    return (
        enum(WEIGHTING, "Weighting", bias.WEIGHTINGS),
        enum(AUDIENCE, "Audience", audiences),
        field_of(OWNER_FIELD, "Owner field", POINTS, default="owner", optional=True),
        field_of(TAKEN_FIELD, "Date taken field", POINTS, default="taken", optional=True),
        number(LOCAL_DAYS, "Local: an owner whose photos span more days than", bias.LOCAL_DAYS, minimum=0.0),
    )


def density_parameters(after_kernel=()) -> tuple:
    """POINTS, RADIUS, PIXEL_SIZE, KERNEL, then `after_kernel` (one algorithm's own), OUTPUT_VALUE,
    TARGET_CRS, CLIP, CLASSES, MIN_OWNERS and the weighting."""
    return (
        source(POINTS, "Photo points"),
        number(RADIUS, "Radius (metres)", 1000.0, minimum=0.0),
        number(PIXEL_SIZE, "Pixel size (metres)", 10.0, minimum=0.0),
        enum(KERNEL, "Kernel shape", kde.KERNELS),
        *after_kernel,
        enum(OUTPUT_VALUE, "Output values", kde.VALUE_KINDS, kde.VALUE_KINDS.index("per km²")),
        simple("crs", TARGET_CRS, "Target CRS (projected)", optional=True),
        source(CLIP, "Clip to polygons", ("polygon",), optional=True),
        integer(CLASSES, "Colour classes", 5, minimum=2, maximum=255),
        enum(CLASSIFICATION, "Colour classes by", METHODS),
        *privacy_parameters(),
        *weighting_parameters(),
    )


def privacy_parameters() -> tuple:
    """The two rules of statistical disclosure control, for every map and for the hot spots."""
    return (
        integer(MIN_OWNERS, "Min owners per cell (privacy floor)", 3, minimum=0),
        number(MAX_OWNER_SHARE, "Max share of one owner in a cell (dominance rule; 0 = off)", MAX_SHARE, 0.0, 1.0),
    )


WEIGHT_PARAMETER = field_of(WEIGHT, "Weight field", POINTS, numeric=True, optional=True)


@dataclass
class DensityInputs:
    """The density family's parameters, read and checked once."""

    values: object  # every parameter (support/parameters.read_all)
    source: object
    clip: object
    target: QgsCoordinateReferenceSystem
    request: Request
    photos: Photos  # in the target CRS, audience chosen, weighting applied
    audience_index: int  # past bias.AUDIENCES: an algorithm's own (hot spots' tourist share)

    @property
    def method(self) -> str:
        """How the colour classes are made (core/density/classes.py)."""
        return METHODS[getattr(self.values, "classification", 0)]

    @classmethod
    def read(
        cls,
        algorithm,
        parameters,
        context,
        feedback,
        place_m: Optional[float] = None,
        taken_needed=False,
        owners_needed=False,
    ):
        """place_m: the place size of the weighting when the algorithm has no RADIUS (hot spots' cell)."""
        v = algorithm.read(parameters, context)
        source = point_source(algorithm, parameters, POINTS, context)
        clip = clip_source(algorithm, parameters, CLIP, context)
        radius_m = getattr(v, "radius", place_m)
        if hasattr(v, "pixel_size"):
            try:
                kde.check_parameters(radius_m, v.pixel_size)
            except kde.KdeError as exc:
                raise QgsProcessingException(str(exc)) from None
        if source.featureCount() == 0:
            raise QgsProcessingException("The point layer has no points.")
        weight = numeric_field(algorithm, parameters, WEIGHT, source, context) if hasattr(v, "weight") else ""
        target, to_units = target_crs(algorithm, parameters, TARGET_CRS, source, context, feedback)
        floor = _owner_floor(v, source, feedback)
        index = v.audience
        request = Request(
            radius_m,
            getattr(v, "pixel_size", 10.0),
            kde.KERNELS[getattr(v, "kernel", 0)],
            kde.VALUE_KINDS[getattr(v, "output_value", 0)],
            bias.WEIGHTINGS[v.weighting],
            bias.AUDIENCES[index] if index < len(bias.AUDIENCES) else "all",
            v.local_days,
            floor,
            v.max_owner_share if floor or not v.min_owners else 0.0,  # no owners, no owner shares
            to_units,
            None if clip is None else clip_wkbs(clip, target, context),
            target.toWkt(QgsCoordinateReferenceSystem.WKT_PREFERRED_GDAL),
            bool(weight),
        )
        people = bias.needs_owner_and_time(request.weighting, request.audience) or index >= len(bias.AUDIENCES)
        owner = field_name(
            algorithm, parameters, OWNER_FIELD, source, context, people or floor or owners_needed, "owner"
        )
        taken = field_name(algorithm, parameters, TAKEN_FIELD, source, context, people or taken_needed, "date taken")
        points = read_points(source, target, context, feedback, weight, owner, taken)
        if points is None:
            raise QgsProcessingException("Cancelled; nothing was written.")
        weighed = weigh(points, request)
        for note in weighed.notes:
            feedback.pushInfo(note)
        if len(weighed.photos) == 0:
            audience = f" for the audience {request.audience!r}" if request.audience != "all" else ""
            raise QgsProcessingException(f"POINTS: no photo points to map{audience}.")
        return cls(v, source, clip, target, request, weighed.photos, index)


def _owner_floor(values, source, feedback) -> int:
    """MIN_OWNERS, or 0 when the points have no owner field (the floor cannot apply; the log says so)."""
    floor = values.min_owners
    if floor <= 0:
        return 0
    name = values.owner_field or "owner"
    if source.fields().lookupField(name) < 0:
        feedback.pushWarning(
            f"MIN_OWNERS {floor} and MAX_OWNER_SHARE not applied: the points have no owner field {name!r}."
        )
        return 0
    return floor
