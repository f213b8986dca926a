"""Products and price books: the rules an admin's edits must keep. Services flush; the caller commits.

Product codes are unique whatever their case; a product is never deleted (lines keep it), an inactive
one is no longer offered for new lines. Price book names are unique whatever their case; exactly one
book is the standard one, and it cannot be deactivated. A CSV import upserts products by code: the
rows that break a rule are reported with their line and reason, the others are stored together.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from babel.numbers import list_currencies
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from crm.extensions import db
from crm.imports import parsing
from crm.models.sales import PriceBook, PriceBookEntry, Product
from crm.models.user import utcnow
from crm.opportunities.services import MAX_AMOUNT, InvalidAmount, parse_amount

CODE_MAX = 40
NAME_MAX = 255
FAMILY_MAX = 80
BOOK_NAME_MAX = 80
BOOK_DESCRIPTION_MAX = 255
DESCRIPTION_MAX = 32_000
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_MAX_ROWS = 5000
CENT = Decimal("0.01")
HUNDRED = Decimal("100")


class CatalogError(Exception):
    """A catalog rule was broken; `message` is for the user."""

    message = _l("This change is not allowed.")

    def __str__(self) -> str:
        return str(self.message)


class CodeTaken(CatalogError):
    message = _l("Another product already has this code.")


class CodeRequired(CatalogError):
    message = _l("Enter a product code.")


class CodeTooLong(CatalogError):
    message = _l("The code can have at most 40 characters.")


class NameRequired(CatalogError):
    message = _l("Enter a name.")


class NameTooLong(CatalogError):
    message = _l("The name is too long.")


class FamilyTooLong(CatalogError):
    message = _l("The family can have at most 80 characters.")


class InvalidTaxRate(CatalogError):
    message = _l("The tax rate must be a number between 0 and 100 with at most 2 decimals.")


class InvalidPrice(CatalogError):
    message = _l("The price must be a number of 0 or more with at most 2 decimals.")


class InvalidActive(CatalogError):
    message = _l("Active must be yes or no.")


class BookNameTaken(CatalogError):
    message = _l("Another price book already has this name.")


class InvalidCurrency(CatalogError):
    message = _l("Enter an ISO 4217 currency code, such as EUR or USD.")


class StandardMustStayActive(CatalogError):
    message = _l("The standard price book cannot be deactivated: make another book standard first.")


class InactiveBookCannotBeStandard(CatalogError):
    message = _l("An inactive price book cannot be the standard one: activate it first.")


class ProductInactive(CatalogError):
    message = _l("This product is inactive: it cannot be added to a price book.")


class EntryExists(CatalogError):
    message = _l("This product is already in the price book.")


class DuplicateCode(CatalogError):
    def __init__(self, code: str, line: int):
        super().__init__(code)
        self.message = _l("The code %(code)s is already on line %(line)s.", code=code, line=line)


class NoPriceBook(CatalogError):
    message = _l("There is no price book to put the price in.")


class ImportFileError(CatalogError):
    """The whole file is refused (nothing stored)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# Reading numbers as typed

_SPACES = re.compile(r"[\s\u00a0\u202f]")


def parse_number(text) -> Decimal:
    """A number as typed, in the reader's notation ("20,5" or "1 234,50" in French), or, when that
    fails, in either usual notation ("20,5", "1.234,50", "1,234.50"). :raises InvalidAmount:"""
    try:
        return parse_amount(text)
    except InvalidAmount:
        pass
    compact = _SPACES.sub("", str(text))
    if re.fullmatch(r"\d+,\d+", compact):
        compact = compact.replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", compact):
        compact = compact.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", compact):
        compact = compact.replace(",", "")
    try:
        return Decimal(compact)
    except (ArithmeticError, ValueError):
        raise InvalidAmount() from None


def _two_decimals(value: Decimal) -> bool:
    try:
        return value.is_finite() and value == value.quantize(CENT)
    except ArithmeticError:
        return False


def parse_tax_rate(value) -> Decimal:
    """A tax rate between 0 and 100 with at most two decimals. :raises InvalidTaxRate:"""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0")
    try:
        rate = value if isinstance(value, Decimal) else parse_number(str(value).strip().rstrip("%").strip())
    except (InvalidAmount, ArithmeticError):
        raise InvalidTaxRate() from None
    if not rate.is_finite() or rate < 0 or rate > HUNDRED or not _two_decimals(rate):
        raise InvalidTaxRate()
    return rate.quantize(CENT)


def parse_price(value) -> Decimal:
    """A unit price of 0 or more with at most two decimals. :raises InvalidPrice:"""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidPrice()
    try:
        price = value if isinstance(value, Decimal) else parse_number(str(value).strip())
    except (InvalidAmount, ArithmeticError):
        raise InvalidPrice() from None
    if not price.is_finite() or price < 0 or price > MAX_AMOUNT or not _two_decimals(price):
        raise InvalidPrice()
    return price.quantize(CENT)


def format_rate(value: Decimal) -> str:
    """A rate as a form shows it, in the reader's notation ("20,5" in French)."""
    return format_decimal(value, format="0.##")


def format_price(value: Decimal) -> str:
    """A price as a form shows it, in the reader's notation, without grouping ("1234,50" in French)."""
    return format_decimal(value, format="0.00")


# Products

def products_query(q: str = "", active: str = "") -> sa.Select:
    """Products matching a code or name search, active ones first then by name; `active` is "active",
    "inactive" or "" for all."""
    query = sa.select(Product)
    q = (q or "").strip()
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(sa.func.lower(Product.code).like(pattern, escape="\\"),
                                   sa.func.lower(Product.name).like(pattern, escape="\\")))
    if active == "active":
        query = query.where(Product.active.is_(True))
    elif active == "inactive":
        query = query.where(Product.active.is_(False))
    return query.order_by(Product.active.desc(), Product.name, Product.id)


def product_by_code(code: str, exclude_id: int | None = None) -> Product | None:
    """The product with this code, compared case-insensitively."""
    query = sa.select(Product).where(sa.func.lower(Product.code) == code.strip().lower())
    if exclude_id is not None:
        query = query.where(Product.id != exclude_id)
    return db.session.scalars(query.limit(1)).first()


def _clean_product(code: str, name: str, family: str | None, description: str | None, tax_rate) -> tuple:
    code, name = (code or "").strip(), (name or "").strip()
    family, description = (family or "").strip() or None, (description or "").strip() or None
    if not code:
        raise CodeRequired()
    if len(code) > CODE_MAX:
        raise CodeTooLong()
    if not name:
        raise NameRequired()
    if len(name) > NAME_MAX:
        raise NameTooLong()
    if family and len(family) > FAMILY_MAX:
        raise FamilyTooLong()
    return code, name, family, description, parse_tax_rate(tax_rate)


def create_product(*, code: str, name: str, family: str | None = None, description: str | None = None,
                   tax_rate=Decimal("0"), active: bool = True) -> Product:
    """Add a product. :raises CodeTaken: (and the other CatalogErrors for bad input)"""
    code, name, family, description, tax_rate = _clean_product(code, name, family, description, tax_rate)
    if product_by_code(code):
        raise CodeTaken()
    product = Product(code=code, name=name, family=family, description=description, tax_rate=tax_rate,
                      active=active)
    db.session.add(product)
    db.session.flush()
    return product


def update_product(product: Product, *, code: str, name: str, family: str | None = None,
                   description: str | None = None, tax_rate=Decimal("0"), active: bool = True) -> Product:
    """Change a product; lines already made keep their copy of its code, name and price."""
    code, name, family, description, tax_rate = _clean_product(code, name, family, description, tax_rate)
    if product_by_code(code, exclude_id=product.id):
        raise CodeTaken()
    product.code, product.name, product.family, product.description = code, name, family, description
    product.tax_rate, product.active, product.updated_at = tax_rate, active, utcnow()
    db.session.flush()
    return product


def set_product_active(product: Product, active: bool) -> Product:
    """Offer the product for new lines again, or stop offering it (existing lines keep it)."""
    product.active, product.updated_at = active, utcnow()
    db.session.flush()
    return product


# Price books

def price_books() -> list[PriceBook]:
    """Every price book: the standard one first, then active ones, then by name."""
    return list(db.session.scalars(sa.select(PriceBook).order_by(
        PriceBook.is_standard.desc(), PriceBook.active.desc(), PriceBook.name, PriceBook.id)))


def entry_counts() -> dict[int, int]:
    """How many entries each price book has, by book id: one query."""
    rows = db.session.execute(sa.select(PriceBookEntry.price_book_id, sa.func.count())
                              .group_by(PriceBookEntry.price_book_id))
    return dict(rows.all())


def currencies() -> list[str]:
    return sorted(list_currencies())


def _clean_book(name: str, currency: str, description: str | None, exclude_id: int | None) -> tuple:
    name, currency = (name or "").strip(), (currency or "").strip().upper()
    description = (description or "").strip() or None
    if not name:
        raise NameRequired()
    if len(name) > BOOK_NAME_MAX:
        raise NameTooLong()
    if currency not in list_currencies():
        raise InvalidCurrency()
    query = sa.select(PriceBook.name)
    if exclude_id is not None:
        query = query.where(PriceBook.id != exclude_id)
    # casefold in Python: SQLite's lower() only folds ASCII, and price books are few.
    if any(other.strip().casefold() == name.casefold() for other in db.session.scalars(query)):
        raise BookNameTaken()
    return name, currency, description[:BOOK_DESCRIPTION_MAX] if description else None


def create_price_book(*, name: str, currency: str, description: str | None = None, active: bool = True) -> PriceBook:
    """Add a price book (never the standard one: move the standard with set_standard)."""
    name, currency, description = _clean_book(name, currency, description, None)
    book = PriceBook(name=name, currency=currency, description=description, active=active, is_standard=False)
    db.session.add(book)
    db.session.flush()
    return book


def update_price_book(book: PriceBook, *, name: str, currency: str, description: str | None = None,
                      active: bool = True) -> PriceBook:
    """Change a price book. :raises StandardMustStayActive: :raises BookNameTaken: :raises InvalidCurrency:"""
    name, currency, description = _clean_book(name, currency, description, book.id)
    if book.is_standard and not active:
        raise StandardMustStayActive()
    book.name, book.currency, book.description, book.active = name, currency, description, active
    book.updated_at = utcnow()
    db.session.flush()
    return book


def set_standard(book: PriceBook) -> PriceBook:
    """Make this book the standard one (new opportunities use it); the former one stops being it."""
    if not book.active:
        raise InactiveBookCannotBeStandard()
    if book.is_standard:
        return book
    # The former standard first: the database allows only one at a time.
    db.session.execute(sa.update(PriceBook).where(PriceBook.is_standard, PriceBook.id != book.id)
                       .values(is_standard=False, updated_at=utcnow()).execution_options(synchronize_session="fetch"))
    db.session.flush()
    book.is_standard, book.updated_at = True, utcnow()
    db.session.flush()
    return book


def entry_of(book: PriceBook, product: Product) -> PriceBookEntry | None:
    return db.session.scalar(sa.select(PriceBookEntry).where(
        PriceBookEntry.price_book_id == book.id, PriceBookEntry.product_id == product.id))


def book_entries(book: PriceBook) -> list[tuple[PriceBookEntry, Product]]:
    """Every entry of a book (inactive products too), by product name."""
    rows = db.session.execute(sa.select(PriceBookEntry, Product).join(Product, PriceBookEntry.product)
                              .where(PriceBookEntry.price_book_id == book.id).order_by(Product.name, Product.id))
    return [tuple(row) for row in rows]


def products_not_in(book: PriceBook) -> list[Product]:
    """The active products a book has no price for yet, by name: what can be added to it."""
    in_book = sa.select(PriceBookEntry.product_id).where(PriceBookEntry.price_book_id == book.id)
    return list(db.session.scalars(sa.select(Product).where(Product.active.is_(True), Product.id.not_in(in_book))
                                   .order_by(Product.name, Product.id)))


def add_entry(book: PriceBook, product: Product, price) -> PriceBookEntry:
    """Put an active product in a book at a price. :raises ProductInactive: :raises EntryExists:"""
    price = parse_price(price)
    if not product.active:
        raise ProductInactive()
    if entry_of(book, product):
        raise EntryExists()
    return set_entry_price(book, product, price)


def set_entry_price(book: PriceBook, product: Product, price) -> PriceBookEntry:
    """The product's price in the book, adding the entry when there is none. :raises InvalidPrice:"""
    price = parse_price(price)
    entry = entry_of(book, product)
    if entry is None:
        entry = PriceBookEntry(price_book=book, product=product, unit_price=price, active=True)
        db.session.add(entry)
    else:
        entry.unit_price = price
    db.session.flush()
    return entry


def remove_entry(entry: PriceBookEntry) -> None:
    """Take a product out of a book; lines already priced from it keep their price."""
    db.session.delete(entry)
    db.session.flush()


def entries_for(price_book_id: int) -> list[tuple[PriceBookEntry, Product]]:
    """(entry, product) of the active products that have an active entry in the book, by product name:
    what a line item can be made from."""
    rows = db.session.execute(
        sa.select(PriceBookEntry, Product).join(Product, PriceBookEntry.product)
        .where(PriceBookEntry.price_book_id == price_book_id, PriceBookEntry.active.is_(True),
               Product.active.is_(True))
        .order_by(Product.name, Product.id))
    return [tuple(row) for row in rows]


# CSV import

# Header names, compared without case, accents, "_" or "-" (normalise_header).
HEADERS = {
    "code": ("code", "product code", "code produit", "code article", "sku", "reference", "ref", "product"),
    "name": ("name", "product name", "nom", "nom du produit", "nom produit", "libelle", "designation"),
    "family": ("family", "product family", "famille", "famille de produits", "famille produit", "category",
               "categorie"),
    "description": ("description", "desc"),
    "tax_rate": ("tax rate", "tax", "vat", "vat rate", "tax rate %", "taux de tva", "taux tva", "tva", "taux"),
    "active": ("active", "is active", "actif", "active ?", "actif ?"),
    "price": ("price", "unit price", "list price", "prix", "prix unitaire", "tarif", "prix ht"),
}
TRUE_WORDS = {"1", "y", "yes", "true", "o", "oui", "vrai", "x", "active", "actif"}
FALSE_WORDS = {"0", "n", "no", "false", "non", "faux", "inactive", "inactif"}


def normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[_\-.:]", " ", text).split())


def map_headers(headers: list[str]) -> dict[str, int]:
    """Which column holds which field: {field: column index}; the first matching column wins."""
    known = {alias: name for name, aliases in HEADERS.items() for alias in aliases}
    known |= {name.replace("_", " "): name for name in HEADERS}
    columns: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = known.get(normalise_header(header))
        if name and name not in columns:
            columns[name] = index
    return columns


def parse_active(text: str) -> bool | None:
    word = normalise_header(text)
    if not word:
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InvalidActive()


@dataclass
class RejectedRow:
    line: int
    code: str
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    prices: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    price_book: PriceBook | None = None


def _read(file_bytes: bytes) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    if len(file_bytes) > IMPORT_MAX_BYTES:
        raise ImportFileError(_l("The file is larger than 2 MB."))
    if parsing.is_xlsx(file_bytes):
        raise ImportFileError(_l("Choose a CSV file."))
    try:
        info = parsing.detect(file_bytes)
        rows = [(line, cells) for _n, line, cells in parsing.data_rows(file_bytes, info)]
    except parsing.FileError:
        raise ImportFileError(_l("The file is empty or cannot be read as CSV.")) from None
    columns = map_headers(info.headers)
    if "code" not in columns or "name" not in columns:
        raise ImportFileError(_l("The first row must name the columns, with at least a code and a name "
                                 "column (code, name, family, description, tax_rate, active, price)."))
    if len(rows) > IMPORT_MAX_ROWS:
        raise ImportFileError(_l("The file has more than 5,000 rows: split it."))
    return columns, rows


def import_products(file_bytes: bytes, price_book: PriceBook | None = None) -> ImportReport:
    """Create or update products from a CSV, matched on their code (whatever its case). A blank cell
    leaves an existing product's field as it is; a price sets the product's price in `price_book`
    (else the standard book). Rows that break a rule are reported and left out; the others are stored
    (flushed: the caller commits them in one transaction). :raises ImportFileError:"""
    columns, rows = _read(file_bytes)
    if "price" in columns and price_book is None:
        price_book = db.session.scalar(sa.select(PriceBook).where(PriceBook.is_standard))
    report = ImportReport(price_book=price_book if "price" in columns else None)
    by_code = {p.code.casefold(): p for p in db.session.scalars(sa.select(Product))}
    # The book's entries by product, keyed by the product object (new products have no id yet);
    # every product is in the session already, so get() asks no query.
    prices: dict[int, PriceBookEntry] = {}
    if price_book is not None:
        for entry in db.session.scalars(sa.select(PriceBookEntry).where(PriceBookEntry.price_book_id == price_book.id)):
            prices[id(db.session.get(Product, entry.product_id))] = entry
    seen: dict[str, int] = {}

    def cell(cells: list[str], name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for line, cells in rows:
        code = cell(cells, "code")
        try:
            if code.casefold() in seen:
                raise DuplicateCode(code, seen[code.casefold()])
            product = by_code.get(code.casefold()) if code else None
            fields = {
                "code": code,
                "name": cell(cells, "name") or (product.name if product else ""),
                "family": cell(cells, "family") or (product.family if product else None),
                "description": cell(cells, "description") or (product.description if product else None),
                "tax_rate": cell(cells, "tax_rate") or (product.tax_rate if product else Decimal("0")),
            }
            active = parse_active(cell(cells, "active"))
            fields["active"] = active if active is not None else (product.active if product else True)
            price_text = cell(cells, "price")
            price = parse_price(price_text) if price_text else None
            if price is not None and price_book is None:
                raise NoPriceBook()
            # Check the whole row before storing any of it (the cleaning raises on bad input).
            code, name, family, description, tax_rate = _clean_product(
                fields["code"], fields["name"], fields["family"], fields["description"], fields["tax_rate"])
        except CatalogError as error:
            report.rejected.append(RejectedRow(line, code, str(error.message)))
            continue
        seen[code.casefold()] = line
        # Stored without a query or a flush per row (5,000 rows in a request): codes are checked
        # against by_code, which holds every product; one flush at the end.
        if product is None:
            product = Product(code=code, name=name, family=family, description=description, tax_rate=tax_rate,
                              active=fields["active"])
            db.session.add(product)
            by_code[code.casefold()] = product
            report.created += 1
        else:
            product.code, product.name, product.family, product.description = code, name, family, description
            product.tax_rate, product.active, product.updated_at = tax_rate, fields["active"], utcnow()
            report.updated += 1
        if price is not None:
            entry = prices.get(id(product))
            if entry is None:
                entry = PriceBookEntry(price_book=price_book, product=product, unit_price=price, active=True)
                db.session.add(entry)
                prices[id(product)] = entry
            else:
                entry.unit_price = price
            report.prices += 1
    db.session.flush()
    return report
