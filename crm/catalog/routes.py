"""Products and price books administration, and the CSV import of products. Admins only.

Like the campaigns pages: a product or a price book is added and edited on its own form page (its
form swaps itself with its errors under htmx); the (de)activate button answers with its row. A price
book's page lists its entries: add one below the list, edit a price in its row, remove one; with htmx
each answer replaces the row or the entries section, without JavaScript a 303 comes back to the page.
"""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from crm.auth.decorators import role_required
from crm.catalog import bp, services
from crm.catalog.forms import EntryForm, ImportForm, PriceBookForm, PriceForm, ProductForm
from crm.extensions import db
from crm.htmx import redirect_after_post, render, retarget, wants_fragment
from crm.lists import page_arg
from crm.models.sales import PriceBook, PriceBookEntry, Product

PRODUCTS_PER_PAGE = 50
ACTIVE_FILTERS = ("", "active", "inactive")


def get_product(product_id: int) -> Product:
    return db.get_or_404(Product, product_id)


def get_book(book_id: int) -> PriceBook:
    return db.get_or_404(PriceBook, book_id)


def get_entry(book: PriceBook, entry_id: int) -> PriceBookEntry:
    entry = db.get_or_404(PriceBookEntry, entry_id)
    if entry.price_book_id != book.id:
        abort(404)
    return entry


# Products

def product_filters() -> dict:
    q = (request.args.get("q") or "").strip()[:200]
    active = request.args.get("active") or ""
    return {"q": q, "active": active if active in ACTIVE_FILTERS else ""}


@bp.route("/products")
@role_required("admin")
def products():
    """Products, searched by code or name, filtered on active, paged."""
    filters = product_filters()
    page = db.paginate(services.products_query(**filters), page=page_arg(request.args),
                       per_page=PRODUCTS_PER_PAGE, error_out=False)
    return render("catalog/products.html", "catalog/_product_list.html", page=page, filters=filters)


def save_product(form: ProductForm, product: Product | None):
    """Create or update from a validated form; the response, or None when a rule stopped it."""
    try:
        if product is None:
            product = services.create_product(**form.fields_data())
        else:
            services.update_product(product, **form.fields_data())
    except services.CodeTaken as error:
        form.code.errors.append(str(error.message))
    except (services.CodeRequired, services.CodeTooLong) as error:
        form.code.errors.append(str(error.message))
    except services.FamilyTooLong as error:
        form.family.errors.append(str(error.message))
    except services.CatalogError as error:
        form.name.errors.append(str(error.message))
    else:
        db.session.commit()
        flash(_("Product %(code)s saved.", code=product.code), "success")
        return redirect_after_post(url_for("catalog.products"))
    db.session.rollback()
    return None


@bp.route("/products/new", methods=["GET", "POST"])
@role_required("admin")
def new_product():
    """Add a product."""
    form = ProductForm()
    if form.validate_on_submit() and (response := save_product(form, None)):
        return response
    return render("catalog/product_form.html", "catalog/_product_form.html",
                  status=422 if form.is_submitted() else 200, form=form, product=None)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_product(product_id: int):
    """Change a product's code, name, family, description, tax rate or active flag."""
    product = get_product(product_id)
    form = ProductForm(obj=product)
    if not form.is_submitted():
        form.tax_rate.data = services.format_rate(product.tax_rate)
    if form.validate_on_submit() and (response := save_product(form, product)):
        return response
    return render("catalog/product_form.html", "catalog/_product_form.html",
                  status=422 if form.is_submitted() else 200, form=form, product=product)


@bp.route("/products/<int:product_id>/active", methods=["POST"])
@role_required("admin")
def set_product_active(product_id: int):
    """Deactivate a product (no longer offered for new lines, kept on existing ones) or offer it again."""
    product = get_product(product_id)
    active = request.form.get("active") == "1"
    services.set_product_active(product, active)
    db.session.commit()
    if active:
        flash(_("%(code)s can be added to lines again.", code=product.code), "success")
    else:
        flash(_("%(code)s can no longer be added to lines; the lines that have it keep it.", code=product.code),
              "success")
    if wants_fragment():
        return render("catalog/products.html", "catalog/_product_row.html", product=product)
    return redirect(url_for("catalog.products"), 303)


# CSV import

def book_choices() -> list[tuple[int, str]]:
    return [(book.id, f"{book.name} ({book.currency})") for book in services.price_books()]


@bp.route("/products/import", methods=["GET", "POST"])
@role_required("admin")
def import_products():
    """Upload a CSV of products: created, updated and rejected rows come back on the same page."""
    form = ImportForm()
    form.price_book_id.choices = book_choices()
    if not form.is_submitted():
        standard = next((book for book in services.price_books() if book.is_standard), None)
        form.price_book_id.data = standard.id if standard else None
    report = None
    if form.validate_on_submit():
        book = db.session.get(PriceBook, form.price_book_id.data) if form.price_book_id.data else None
        try:
            report = services.import_products(form.file.data.read(), book)
        except services.ImportFileError as error:
            db.session.rollback()
            form.file.errors.append(str(error.message))
        else:
            db.session.commit()
            flash(_("Import done: %(created)s created, %(updated)s updated, %(rejected)s rejected.",
                    created=report.created, updated=report.updated, rejected=len(report.rejected)),
                  "success")
    status = 422 if form.is_submitted() and (form.errors or report is None) else 200
    return render("catalog/import.html", "catalog/_import.html", status=status, form=form, report=report)


# Price books

def book_list_context() -> dict:
    return {"books": services.price_books(), "entry_counts": services.entry_counts()}


@bp.route("/price-books")
@role_required("admin")
def price_books():
    """Every price book with its currency and number of entries."""
    return render("catalog/price_books.html", "catalog/_price_book_list.html", **book_list_context())


def save_book(form: PriceBookForm, book: PriceBook | None):
    try:
        if book is None:
            book = services.create_price_book(**form.fields_data())
        else:
            services.update_price_book(book, **form.fields_data())
    except services.InvalidCurrency as error:
        form.currency.errors.append(str(error.message))
    except services.StandardMustStayActive as error:
        form.active.errors.append(str(error.message))
    except services.CatalogError as error:
        form.name.errors.append(str(error.message))
    else:
        db.session.commit()
        flash(_("Price book %(name)s saved.", name=book.name), "success")
        return redirect_after_post(url_for("catalog.price_book", book_id=book.id))
    db.session.rollback()
    return None


@bp.route("/price-books/new", methods=["GET", "POST"])
@role_required("admin")
def new_price_book():
    """Add a price book."""
    form = PriceBookForm()
    if form.validate_on_submit() and (response := save_book(form, None)):
        return response
    return render("catalog/price_book_form.html", "catalog/_price_book_form.html",
                  status=422 if form.is_submitted() else 200, form=form, book=None,
                  currencies=services.currencies())


@bp.route("/price-books/<int:book_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_price_book(book_id: int):
    """Change a price book's name, currency, description or active flag."""
    book = get_book(book_id)
    form = PriceBookForm(obj=book)
    if form.validate_on_submit() and (response := save_book(form, book)):
        return response
    return render("catalog/price_book_form.html", "catalog/_price_book_form.html",
                  status=422 if form.is_submitted() else 200, form=form, book=book,
                  currencies=services.currencies())


@bp.route("/price-books/<int:book_id>/standard", methods=["POST"])
@role_required("admin")
def set_standard(book_id: int):
    """Make this book the standard one; htmx gets the list back (two rows change)."""
    book = get_book(book_id)
    try:
        services.set_standard(book)
    except services.CatalogError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("%(name)s is now the standard price book.", name=book.name), "success")
    if wants_fragment():
        return render("catalog/price_books.html", "catalog/_price_book_list.html", **book_list_context())
    return redirect(url_for("catalog.price_books"), 303)


def book_context(book: PriceBook, entry_form: EntryForm | None = None, **extra) -> dict:
    if entry_form is None:
        entry_form = EntryForm(formdata=None)
    entry_form.product_id.choices = [(p.id, f"{p.code} · {p.name}") for p in services.products_not_in(book)]
    return {"book": book, "entries": services.book_entries(book), "entry_form": entry_form, **extra}


@bp.route("/price-books/<int:book_id>")
@role_required("admin")
def price_book(book_id: int):
    """A price book's entries, with the form to add one."""
    book = get_book(book_id)
    return render("catalog/price_book.html", "catalog/_entries.html", **book_context(book))


@bp.route("/price-books/<int:book_id>/entries", methods=["POST"])
@role_required("admin")
def add_entry(book_id: int):
    """Put a product in the book at a price; htmx gets the entries section back."""
    book = get_book(book_id)
    form = EntryForm()
    context = book_context(book, form)
    if form.validate_on_submit():
        product = db.session.get(Product, form.product_id.data)
        try:
            services.add_entry(book, product, form.price.data)
        except services.CatalogError as error:
            db.session.rollback()
            form.product_id.errors.append(str(error.message))
        else:
            db.session.commit()
            flash(_("%(code)s added to %(name)s.", code=product.code, name=book.name), "success")
            if not wants_fragment():
                return redirect(url_for("catalog.price_book", book_id=book.id), 303)
            return render("catalog/price_book.html", "catalog/_entries.html", **book_context(book))
    return render("catalog/price_book.html", "catalog/_entries.html", status=422, **context)


def entry_row(book: PriceBook, entry: PriceBookEntry, fragment: str, status: int = 200, **extra):
    """One entry's row (shown or being edited): in place for htmx, in the page otherwise."""
    response = render("catalog/price_book.html", fragment, status=status, entry=entry, product=entry.product,
                      **book_context(book, **extra))
    if wants_fragment():
        retarget(response, f"#entry-{entry.id}", "outerHTML")
    return response


@bp.route("/price-books/<int:book_id>/entries/<int:entry_id>")
@role_required("admin")
def entry(book_id: int, entry_id: int):
    """One entry's row (htmx: the Cancel of its edit); the page otherwise."""
    book = get_book(book_id)
    return entry_row(book, get_entry(book, entry_id), "catalog/_entry_row.html")


@bp.route("/price-books/<int:book_id>/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_entry(book_id: int, entry_id: int):
    """Change an entry's price in its row."""
    book = get_book(book_id)
    entry = get_entry(book, entry_id)
    form = PriceForm(prefix=f"entry-{entry.id}")
    if not form.is_submitted():
        form.price.data = services.format_price(entry.unit_price)
    if form.validate_on_submit():
        services.set_entry_price(book, entry.product, form.price.data)
        db.session.commit()
        flash(_("Price of %(code)s saved.", code=entry.product.code), "success")
        if not wants_fragment():
            return redirect(url_for("catalog.price_book", book_id=book.id), 303)
        return entry_row(book, entry, "catalog/_entry_row.html")
    return entry_row(book, entry, "catalog/_entry_edit.html", status=422 if form.is_submitted() else 200,
                     editing=entry, price_form=form)


@bp.route("/price-books/<int:book_id>/entries/<int:entry_id>/remove", methods=["POST"])
@role_required("admin")
def remove_entry(book_id: int, entry_id: int):
    """Take a product out of the book; htmx gets the entries section back."""
    book = get_book(book_id)
    entry = get_entry(book, entry_id)
    code = entry.product.code
    services.remove_entry(entry)
    db.session.commit()
    flash(_("%(code)s removed from %(name)s.", code=code, name=book.name), "success")
    if wants_fragment():
        return render("catalog/price_book.html", "catalog/_entries.html", **book_context(book, focus_list=True))
    return redirect(url_for("catalog.price_book", book_id=book.id), 303)
