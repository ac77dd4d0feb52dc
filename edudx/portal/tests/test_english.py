"""English on request: Vietnamese stays the default, the footer's language cookie switches the main pages.

The catalogue ships compiled (locale/en/LC_MESSAGES/django.mo), so a machine without gettext still
serves English; the last test keeps the compiled file in step with the .po that translators edit.
"""

import ast
import gettext
import re

from django.conf import settings
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from edudx.core.enums import Role
from edudx.portal.context_processors import MENU
from edudx.testing import login_verified

CATALOGUE = settings.BASE_DIR / "locale" / "en" / "LC_MESSAGES"


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode()


# --- the log-in page ------------------------------------------------------------------------


def test_login_page_in_english(client):
    html = page(english(client), reverse("accounts:login"))
    assert '<html lang="en">' in html
    assert "Sign in to EduDX" in html and "Forgot your password?" in html
    assert ">Username <" in html and ">Password <" in html
    for vietnamese in ("Đăng nhập", "Quên mật khẩu?", "Tên đăng nhập", "Mật khẩu", "Bỏ qua đến nội dung chính"):
        assert vietnamese not in html


def test_login_page_stays_vietnamese_without_the_cookie_even_for_english_browsers(client):
    html = page(client, reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="vi">' in html
    assert "Đăng nhập EduDX" in html and "Quên mật khẩu?" in html
    assert "Sign in" not in html and "Forgot your password?" not in html


# --- the principal's home page: menu, dashboard, quick links --------------------------------


def test_principal_home_in_english(world, client):
    login_verified(client, world.school1.users[Role.PRINCIPAL])
    english(client)
    response = client.get(reverse("portal:home"))
    html = response.content.decode()
    labels = [item["label"] for item in response.context["nav_items"]]
    assert {"Home", "Schools", "Classes", "Students", "Staff and teachers"} <= set(labels)
    assert not {"Trang chủ", "Trường học", "Lớp học", "Học sinh"} & set(labels)
    assert "Your school" in html and "Log out" in html and "Import data from Excel" in html
    assert "Hello, " in html
    for vietnamese in ("Trường của bạn", "Đăng xuất", "Xin chào", "Nhập dữ liệu từ Excel", ">Học sinh<", ">Lớp học<"):
        assert vietnamese not in html
    assert "digital transformation platform for education" in html


def test_principal_home_stays_vietnamese_by_default(world, client):
    login_verified(client, world.school1.users[Role.PRINCIPAL])
    response = client.get(reverse("portal:home"))
    html = response.content.decode()
    labels = [item["label"] for item in response.context["nav_items"]]
    assert {"Trang chủ", "Trường học", "Lớp học", "Học sinh"} <= set(labels)
    assert "Trường của bạn" in html and "Đăng xuất" in html and "Nhập dữ liệu từ Excel" in html
    assert "Your school" not in html and "Log out" not in html and ">Students<" not in html


# --- the student list -----------------------------------------------------------------------


def test_student_list_in_english(world, client):
    login_verified(client, world.school1.users[Role.PRINCIPAL])
    english(client)
    html = page(client, reverse("registry:student_list"))
    assert '<h1 class="h3 mb-0">Students</h1>' in html
    for text in ("Add student", ">Date of birth<", ">Personal ID number<", "Export to Excel", ">Filter<", "Enrolled"):
        assert text in html
    for vietnamese in ("Thêm học sinh", ">Ngày sinh<", ">Số định danh<", "Xuất Excel", ">Lọc<", "Đang học"):
        assert vietnamese not in html
    # Names are data, never translated.
    assert world.school1.students_a[0].person.full_name in html


def test_student_list_stays_vietnamese_by_default(world, client):
    login_verified(client, world.school1.users[Role.PRINCIPAL])
    html = page(client, reverse("registry:student_list"))
    assert '<h1 class="h3 mb-0">Học sinh</h1>' in html
    assert "Thêm học sinh" in html and ">Ngày sinh<" in html and "Xuất Excel" in html
    assert "Add student" not in html and "Export to Excel" not in html


def test_pagination_speaks_both_languages():
    page_obj = Paginator(list(range(30)), 25).get_page(1)
    context = {"page_obj": page_obj, "query_without_page": ""}
    with translation.override("vi"):
        vietnamese = render_to_string("includes/pagination.html", context)
    with translation.override("en"):
        english_html = render_to_string("includes/pagination.html", context)
    assert "Trang 1 / 2 (30 dòng)" in vietnamese and "Sau »" in vietnamese
    assert "Page 1 / 2 (30 rows)" in english_html and "Next »" in english_html
    assert "Trang" not in english_html and "Sau" not in english_html


def test_every_menu_label_has_an_english_translation():
    with translation.override("vi"):
        vietnamese = [str(label) for _, label, _ in MENU]
    with translation.override("en"):
        english_labels = [str(label) for _, label, _ in MENU]
    assert [vi for vi, en in zip(vietnamese, english_labels, strict=True) if vi == en] == []


# --- the shipped catalogue ------------------------------------------------------------------


def _po_translations(text):
    """The translated, non-fuzzy entries of a .po file, keyed as Python's gettext keys a .mo catalogue."""
    entries, flags, fields, key = {}, "", {}, None

    def flush():
        if "msgid" in fields and fields["msgid"] and "fuzzy" not in flags:
            msgid = fields["msgid"]
            if "msgctxt" in fields:
                msgid = f"{fields['msgctxt']}\x04{msgid}"
            if "msgid_plural" in fields:
                forms = {k: v for k, v in fields.items() if k.startswith("msgstr[")}
                if all(forms.values()):
                    for name, value in forms.items():
                        entries[(msgid, int(name[7:-1]))] = value
            elif fields.get("msgstr"):
                entries[msgid] = fields["msgstr"]

    for line in [*text.splitlines(), ""]:
        if not line.strip():
            flush()
            flags, fields, key = "", {}, None
        elif line.startswith("#,"):
            flags = line
        elif line.startswith("#"):
            continue  # references, comments and obsolete (#~) entries
        elif line.startswith('"'):
            fields[key] += ast.literal_eval(line)
        else:
            key, _, literal = line.partition(" ")
            fields[key] = ast.literal_eval(literal)
    return entries


def test_compiled_catalogue_matches_the_po_file():
    """Whoever edits django.po must run compilemessages: the .mo must hold exactly the same translations.

    Contents are compared rather than file times, which a fresh checkout does not preserve.
    """
    po = _po_translations((CATALOGUE / "django.po").read_text(encoding="utf-8"))
    with open(CATALOGUE / "django.mo", "rb") as handle:
        mo = gettext.GNUTranslations(handle)._catalog
    mo = {k: v for k, v in mo.items() if k != ""}  # the header
    assert len(po) > 500
    missing_from_mo = sorted(str(k) for k in po.keys() - mo.keys())
    stale_in_mo = sorted(str(k) for k in mo.keys() - po.keys())
    changed = sorted(str(k) for k in po.keys() & mo.keys() if po[k] != mo[k])
    assert (missing_from_mo, stale_in_mo, changed) == ([], [], [])
    # Placeholders survive translation (msgfmt checks this too, but only where gettext is installed).
    for key, value in po.items():
        msgid = key[0] if isinstance(key, tuple) else key.split("\x04")[-1]
        assert set(re.findall(r"%\(\w+\)[sd]", value)) <= set(re.findall(r"%\(\w+\)[sd]", msgid)), key
