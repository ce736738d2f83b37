"""The generator's name tables: campaigns, people, places, channels and failure reasons (pure data)."""

from __future__ import annotations

CAMPAIGN_PLAN = (
    "DISCOUNT_COUPONS",
    "GIFT_VOUCHERS",
    "LOYALTY_PROGRAM",
    "REFERRAL_PROGRAM",
    "DISCOUNT_COUPONS",
    "DISCOUNT_COUPONS",
    "GIFT_VOUCHERS",
    "LOYALTY_PROGRAM",
    "DISCOUNT_COUPONS",
    "DISCOUNT_COUPONS",
    "GIFT_VOUCHERS",
    "DISCOUNT_COUPONS",
)
CAMPAIGN_NAMES = {
    "DISCOUNT_COUPONS": ("Summer Sale 20% off", "Welcome 10", "Black Friday", "Free Shipping", "Back to School"),
    "GIFT_VOUCHERS": ("Gift Cards", "Corporate Gift Cards", "Holiday Gift Cards"),
    "LOYALTY_PROGRAM": ("Rewards Club", "Coffee Stamps"),
    "REFERRAL_PROGRAM": ("Refer a Friend",),
}
VOUCHER_TYPE_OF = {
    "DISCOUNT_COUPONS": "DISCOUNT_VOUCHER",
    "REFERRAL_PROGRAM": "DISCOUNT_VOUCHER",
    "GIFT_VOUCHERS": "GIFT_VOUCHER",
    "LOYALTY_PROGRAM": "LOYALTY_CARD",
}
CATEGORY_NAMES = ("Electronics", "Fashion", "Grocery", "Home", "Beauty", "Sports", "Travel", "Books")
FIRST_NAMES = (
    "Anna",
    "Ben",
    "Chloe",
    "Daniel",
    "Emma",
    "Felix",
    "Grace",
    "Hugo",
    "Ida",
    "Jonas",
    "Kira",
    "Liam",
    "Maja",
    "Noah",
    "Olga",
    "Piotr",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Victor",
    "Wiktoria",
    "Zoe",
)
LAST_NAMES = (
    "Nowak",
    "Smith",
    "Garcia",
    "Müller",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Johnson",
    "Lee",
    "Tanaka",
    "O'Brien",
    "Silva",
    "Novak",
    "Andersen",
    "Costa",
    "Fischer",
    "Brown",
    "Martin",
    "Wójcik",
    "Jansen",
)
PLACES = (
    ("Warsaw", "Mazowieckie", "PL", "00-"),
    ("Kraków", "Małopolskie", "PL", "30-"),
    ("Berlin", "Berlin", "DE", "10"),
    ("Munich", "Bavaria", "DE", "80"),
    ("Paris", "Île-de-France", "FR", "75"),
    ("Madrid", "Madrid", "ES", "28"),
    ("New York", "NY", "US", "100"),
    ("Austin", "TX", "US", "787"),
    ("San Francisco", "CA", "US", "941"),
    ("London", "Greater London", "GB", "EC1"),
    ("Tokyo", "Tokyo", "JP", "100-"),
    ("Sydney", "NSW", "AU", "20"),
)
STREETS = ("Main St", "Oak Avenue", "Marszałkowska", "Hauptstraße", "Rue de Rivoli", "Gran Vía", "High Street")
TIERS = ("bronze", "silver", "gold", "platinum")
REGIONS = ("EU", "US", "APAC")
VOUCHER_CHANNELS = ("email", "sms", "web", "in-store")
PUBLICATION_CHANNELS = ("API", "Email", "SMS", "voucherify-website", "Automation")
PAYMENT_MEANS = ("card", "paypal", "apple_pay", "bank_transfer", "cash")
STORES = ("online", "warsaw-01", "berlin-02", "nyc-03")
CUSTOMER_SOURCES = ("API", "Shopify", "csv-import", "voucherify-website")
FAILURES = {
    "DISCOUNT_VOUCHER": (
        ("voucher_expired", "Voucher has expired."),
        ("customer_rules_violated", "Customer did not match the validation rules."),
        ("order_rules_violated", "Order did not match the validation rules."),
        ("voucher_disabled", "Voucher is disabled."),
    ),
    "GIFT_VOUCHER": (
        ("gift_amount_exceeded", "Gift amount exceeded the card balance."),
        ("voucher_disabled", "Voucher is disabled."),
        ("voucher_expired", "Voucher has expired."),
    ),
    "LOYALTY_CARD": (
        ("loyalty_card_points_exceeded", "Not enough points on the loyalty card."),
        ("voucher_disabled", "Voucher is disabled."),
    ),
}
QUANTITY_EXCEEDED = ("quantity_exceeded", "Voucher's redemptions limit has been exceeded.")
MANUAL_REASONS = ("Customer service goodwill", "Balance correction", "Promotional top-up", "Fraud review")
