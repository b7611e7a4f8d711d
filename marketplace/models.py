"""Every feature's models, imported together so the metadata is complete."""

from marketplace.accounts.models import Agency, AgencyKind, ApiToken, Role, User  # noqa: F401
from marketplace.catalog.models import Category, Product, ProductImage, ProductStatus  # noqa: F401
from marketplace.cooperatives.models import (  # noqa: F401
    Cooperative,
    CooperativeStatus,
    CooperativeStatusChange,
    cooperative_managers,
)
from marketplace.core.content_version import ContentVersion  # noqa: F401
from marketplace.core.throttle import ThrottleCounter  # noqa: F401
from marketplace.fairs.models import (  # noqa: F401
    Booth,
    BoothHelper,
    BoothProduct,
    BoothStatus,
    Fair,
    FairKind,
    FairStatus,
    FairVisit,
    OnSitePayment,
    OnSiteSale,
    OnSiteSaleStatus,
    fair_organisers,
)
from marketplace.mail.models import QueuedEmail  # noqa: F401
from marketplace.orders.idempotency import IdempotencyKey  # noqa: F401
from marketplace.orders.models import (  # noqa: F401
    CartItem,
    DeliveryMethod,
    Order,
    OrderItem,
    OrderPart,
    OrderStatusChange,
    PartStatus,
    PaymentStatus,
)
from marketplace.payments.models import Refund, StripeEvent  # noqa: F401
from marketplace.program.models import (  # noqa: F401
    ProgramRecordChange,
    ProgramTarget,
    SupportedCooperative,
    TargetMetric,
    TrainingClass,
)
from marketplace.promotion.models import (  # noqa: F401
    ActivityChange,
    ActivityEvidence,
    ActivityStatus,
    ActivityType,
    EvidenceKind,
    PromotionActivity,
)
from marketplace.reviews.models import Review, ReviewPhoto  # noqa: F401
from marketplace.search.models import SearchChange  # noqa: F401
from marketplace.traceability.models import (  # noqa: F401
    Batch,
    BatchAllocation,
    BatchEvent,
    BatchEventKind,
    BatchImage,
    Certificate,
    CertificateKind,
    batch_certificates,
)
