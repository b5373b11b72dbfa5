"""The country codes a record may carry: ISO 3166-1 alpha-3 (from ``pycountry``) and the
codes ICAO Doc 9303 Part 3 adds for travel documents.

``NATIONALITY_CODES`` also take the codes that describe a person rather than a state
(stateless, refugee, the British nationality classes); ``ISSUER_CODES`` take the
organisations that issue travel documents. Germany's one-letter ``D`` on older documents
is out of scope: such a row is refused.
"""

import pycountry

ISO_ALPHA_3 = frozenset(country.alpha_3 for country in pycountry.countries)

# Organisations that issue travel documents (Doc 9303 Part 3), and Kosovo, whose
# documents carry RKS (not an ISO 3166-1 code).
ORGANISATIONS = frozenset(
    {
        "EUE",  # European Union
        "UNO",  # United Nations Organization
        "UNA",  # a specialised agency of the United Nations
        "UNK",  # resident of Kosovo, document issued by UNMIK
        "XBA",  # African Development Bank
        "XIM",  # African Export-Import Bank
        "XCC",  # Caribbean Community
        "XCE",  # Council of Europe
        "XCO",  # Common Market for Eastern and Southern Africa
        "XEC",  # Economic Community of West African States
        "XPO",  # International Criminal Police Organization (INTERPOL)
        "XES",  # Organisation of Eastern Caribbean States
        "XMP",  # Parliamentary Assembly of the Mediterranean
        "XOM",  # Sovereign Military Order of Malta
        "XDC",  # Southern African Development Community
        "RKS",  # Kosovo
    }
)

# Codes for a person's status, nationality only (Doc 9303 Part 3).
PERSON_CODES = frozenset(
    {
        "XXA",  # stateless person (1954 Convention)
        "XXB",  # refugee (1951 Convention)
        "XXC",  # refugee, other than under the 1951 Convention
        "XXX",  # unspecified nationality
        "GBD",  # British Overseas Territories citizen
        "GBN",  # British National (Overseas)
        "GBO",  # British Overseas citizen
        "GBP",  # British protected person
        "GBS",  # British subject
    }
)

ISSUER_CODES = ISO_ALPHA_3 | ORGANISATIONS
NATIONALITY_CODES = ISO_ALPHA_3 | ORGANISATIONS | PERSON_CODES
