"""GuardPolicy: what the guard does with each class of irreversible step, and how it looks."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from autoagent.plugins import payment_apps
from autoagent.safety.keywords import (
    DELETE,
    FLAGGED,
    PAYMENT,
    PERSONAL_DATA,
    PURCHASE,
    SEND,
    TAKEOVER,
    UNREADABLE,
)
from autoagent.safety.types import Verdict

# Apps that move money. Without a hierarchy to read, every touch in one of them is asked about;
# with one, every touch on a spot the guard cannot read. Installed targets add their own apps
# (autoagent.plugins).
PAYMENT_APPS = (
    "com.eg.android.AlipayGphone", "com.tencent.mm", "com.taobao.taobao", "com.tmall.wireless",
    "com.jingdong.app.mall", "com.xunmeng.pinduoduo", "com.sankuai.meituan", "com.sankuai.meituan.takeoutnew",
    "me.ele", "com.dianping.v1", "ctrip.android.view", "com.MobileTicket", "com.unionpay",
    "com.paypal.android.p2pmobile", "com.venmo", "com.squareup.cash", "com.amazon.mShop.android.shopping",
    "com.google.android.apps.walletnfcrel", "com.ubercab",
    "alipay", "wechat", "taobao", "jd", "pinduoduo", "meituan", "paypal", "amazon",
    "支付宝", "微信", "淘宝", "天猫", "京东", "拼多多", "美团", "饿了么", "大众点评", "携程", "12306",
)


class GuardPolicy(BaseModel):
    """Configurable policy. Unknown classes default to confirm: new kinds of risk start safe."""

    model_config = ConfigDict(extra="forbid")

    verdicts: dict[str, Verdict] = Field(default_factory=lambda: {
        PAYMENT: Verdict.CONFIRM,
        PURCHASE: Verdict.CONFIRM,
        SEND: Verdict.CONFIRM,
        DELETE: Verdict.CONFIRM,
        PERSONAL_DATA: Verdict.CONFIRM,
        TAKEOVER: Verdict.CONFIRM,
        UNREADABLE: Verdict.CONFIRM,
        FLAGGED: Verdict.CONFIRM,
    })
    # Packages or app names known to take payments (matched case-insensitively, also as a
    # prefix of the package, so "com.taobao.taobao:pay" counts).
    payment_apps: tuple[str, ...] = Field(default_factory=lambda: payment_apps(PAYMENT_APPS))
    # A finger that lands this close to a control (a fraction of a phone's width, about 18 dp)
    # may still hit it: touch targets are often larger than what is drawn.
    touch_slop: float = Field(default=0.045, ge=0.0, le=0.2)
    # A mouse lands where it is sent: only the rounding of the model's 0-999 coordinates and a
    # control's antialiased edge lie between (density-independent pixels).
    mouse_slop_dp: float = Field(default=4.0, ge=0.0, le=50.0)
    # Read the screenshot with tesseract when there is no hierarchy.
    ocr: bool = True
    ocr_languages: str = "eng+chi_sim"
    ocr_timeout_s: float = Field(default=15.0, gt=0)
    # Share of pixels that must be near black for a screen to count as hidden (FLAG_SECURE).
    black_screen_share: float = Field(default=0.985, gt=0.5, le=1.0)

    @field_validator("verdicts", mode="before")
    @classmethod
    def _lower_keys(cls, value: object) -> object:
        if isinstance(value, dict):
            return {str(k).lower(): v for k, v in value.items()}
        return value

    def verdict_for(self, category: str) -> Verdict:
        return self.verdicts.get(category, Verdict.CONFIRM)

    def with_verdicts(self, **verdicts: Verdict | str) -> GuardPolicy:
        merged = dict(self.verdicts)
        merged.update({k: Verdict(v) for k, v in verdicts.items()})
        return self.model_copy(update={"verdicts": merged})

    def is_payment_app(self, app: str | None) -> bool:
        if not app:
            return False
        lowered = app.lower()
        for known in self.payment_apps:
            k = known.lower()
            if lowered == k or lowered.startswith((k + ".", k + ":", k + "/")):
                return True
        return False
