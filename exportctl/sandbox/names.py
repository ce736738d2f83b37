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

# Products and SKUs (sandbox/catalog.py): a line of goods, its base price in cents and what its SKUs vary by.
PRODUCT_LINES: tuple[tuple[str, int, dict[str, tuple[str, ...]]], ...] = (
    ("T-shirt", 1999, {"color": ("white", "black", "navy", "red"), "size": ("S", "M", "L", "XL")}),
    ("Hoodie", 4999, {"color": ("grey", "black", "forest"), "size": ("S", "M", "L", "XL")}),
    ("Running Shoes", 8999, {"color": ("blue", "black", "coral"), "size": ("39", "40", "41", "42", "43", "44")}),
    ("Coffee Beans 1kg", 2499, {"roast": ("light", "medium", "dark"), "grind": ("whole bean", "espresso", "filter")}),
    ("Ceramic Mug", 1299, {"color": ("white", "sand", "teal")}),
    ("Backpack", 5999, {"color": ("black", "olive"), "capacity": ("20l", "30l")}),
    ("Gift Box", 3999, {"theme": ("birthday", "holiday", "thank you")}),
    ("Sunglasses", 7999, {"lens": ("polarized", "gradient"), "frame": ("tortoise", "black")}),
)
PRODUCT_STYLES = ("Classic", "Organic", "Everyday", "Premium", "Trail", "Studio", "Heritage", "Urban")
BRANDS = ("Northwind", "Acme", "Fjord & Co", "Lumen", "Baltic Goods")
# Currencies with how many of their cents a euro cent buys (prices stay integers, as the API stores them).
SKU_CURRENCIES: tuple[tuple[str, float], ...] = (
    ("EUR", 1.0),
    ("EUR", 1.0),
    ("EUR", 1.0),
    ("USD", 1.08),
    ("GBP", 0.86),
    ("PLN", 4.3),
    ("JPY", 162.0),
)
WAREHOUSES = ("WAW-1", "BER-2", "NYC-3")

# API log entries (sandbox/api_logs.py): method, endpoint template, whether the path names a code or an id,
# and the success status.
API_CALLS: tuple[tuple[str, str, int], ...] = (
    ("GET", "/v1/vouchers/{code}", 200),
    ("POST", "/v1/validations", 200),
    ("POST", "/v1/redemptions", 200),
    ("POST", "/v1/qualifications", 200),
    ("POST", "/v1/customers", 200),
    ("PUT", "/v1/customers/{customerId}", 200),
    ("GET", "/v1/customers/{customerId}", 200),
    ("POST", "/v1/orders", 200),
    ("POST", "/v1/publications", 200),
    ("GET", "/v1/campaigns", 200),
    ("POST", "/v1/exports", 200),
    ("GET", "/v1/exports/{exportId}", 200),
    ("DELETE", "/v1/vouchers/{code}", 204),
    ("PATCH", "/v1/vouchers/{code}", 200),
)
API_CHANNELS = ("API", "API", "API", "API", "API", "API", "WEBSITE", "CLIENT_API")
DASHBOARD_USERS = ("ops@example.com", "marketing@example.com", "dev@example.com")
# Error answers, as the API writes them: status, key, message.
API_ERRORS: tuple[tuple[int, str, str], ...] = (
    (400, "invalid_payload", "Invalid payload"),
    (401, "unauthorized", "Unauthorized"),
    (404, "not_found", "Resource not found"),
    (429, "too_many_requests", "Too many requests hit the API too quickly."),
)
