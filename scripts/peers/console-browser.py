"""The admin console in a real browser (issue 19): headless Chromium driven by Selenium.

Run by scripts/peers/console-browser BASE_URL WRITE_KEY READ_KEY ADMIN_KEY CUSTOMER EVENT against a live
server whose CUSTOMER has a subscription and usage, whose stored Stripe event EVENT failed, and which
holds two dead mails (dead@… to retry, another to purge) and the example catalog; prints one JSON object, {"passed": bool, "checks": [...],
"failures": [...]}, and exits 0 only when every check passed. Raw requests without a browser (a form
posted without its token, a session after sign-out) go through http.client.
"""
import http.client
import json
import os
import sys
import traceback
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

base, write_key, read_key, admin_key, customer, event = sys.argv[1:7]
target = urllib.parse.urlsplit(base)
checks, failures = [], []
# scripts/console-screenshots sets this: the main pages are saved there as PNG as the test passes them.
screenshots = os.environ.get("TOLLGATE_CONSOLE_SCREENSHOTS")


def screenshot(driver, name):
    if screenshots:
        driver.save_screenshot(os.path.join(screenshots, name + ".png"))


def check(name, condition, detail=""):
    (checks if condition else failures).append(name if condition else f"{name}: {detail}")


def raw(method, path, cookie=None, form=None):
    """One request outside the browser; the status and headers."""
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    headers = {}
    body = None
    if cookie:
        headers["Cookie"] = f"tollgate_console={cookie}"
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, dict((k.lower(), v) for k, v in response.getheaders())


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


def replaced(page):
    """A wait condition: true once `page` (the old document's root) is gone. Chromium reports a
    removed node either as a stale reference or, while the old document is being torn down, as an
    inspector error naming the node; both mean the page was replaced."""
    def condition(_):
        try:
            page.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error) or "No node with given id" in str(error):
                return True
            raise
    return condition


def navigate(driver, element, action=None):
    """Clicks (or submits) `element` and waits until the next page replaced this one (a form's
    POST answers 303, then the browser loads the page it names) and has loaded."""
    page = driver.find_element(By.TAG_NAME, "html")
    (action or element.click)()
    WebDriverWait(driver, 10).until(replaced(page))
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")


def sign_in(driver, key):
    driver.get(base + "/admin")
    check("an unauthenticated page redirects to sign-in", driver.current_url.endswith("/admin/sign-in"), driver.current_url)
    if key == write_key:
        screenshot(driver, "sign-in")
    driver.find_element(By.ID, "api_key").send_keys(key)
    navigate(driver, driver.find_element(By.CSS_SELECTOR, "form.sign-in button[type=submit]"))
    check("sign-in lands on the overview", driver.current_url.rstrip("/").endswith("/admin"), driver.current_url)


def csp_violations(driver):
    return [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]]


customer_path = "/admin/customers/" + urllib.parse.quote(customer, safe="")
driver = None
try:
    # --- A write session: every page, a grant created and revoked.
    driver = browser()
    sign_in(driver, write_key)
    check("the overview counts customers", driver.find_element(By.ID, "customer-count").text.isdigit())
    screenshot(driver, "overview")
    check("the overview lists subscriptions by plan and status", "pro" in driver.find_element(By.ID, "subscriptions").text)
    check("the overview shows monthly recurring revenue", "$49.00" in driver.find_element(By.ID, "revenue").text, driver.find_element(By.ID, "revenue").text)
    days = driver.find_elements(By.CSS_SELECTOR, "#subscription-chart svg g.day")
    check("the overview draws 30 days of subscriptions started and canceled", len(days) == 30
          and driver.find_elements(By.CSS_SELECTOR, "#subscription-chart rect.bar.started"), str(len(days)))
    header = driver.find_element(By.CSS_SELECTOR, "header.top")
    check("the stylesheet applies (served by the console under its CSP)", header.value_of_css_property("display") == "flex",
          header.value_of_css_property("display"))
    status, headers = raw("GET", "/admin/sign-in")
    check("responses carry the CSP", "frame-ancestors 'none'" in headers.get("content-security-policy", ""), str(headers))
    check("responses deny framing", headers.get("x-frame-options") == "DENY", str(headers))

    navigate(driver, driver.find_element(By.LINK_TEXT, "Catalog"))
    screenshot(driver, "catalog")
    check("the catalog page lists plans", "pro" in driver.find_element(By.ID, "plans").text)
    check("the catalog page lists features", "exports.daily" in driver.find_element(By.ID, "features").text)
    navigate(driver, driver.find_element(By.LINK_TEXT, "Customers"))
    check("the customers page lists customers", customer in driver.find_element(By.ID, "customers").text)
    screenshot(driver, "customers")
    search = driver.find_element(By.ID, "q")
    search.send_keys(customer)
    navigate(driver, search, search.submit)
    check("search finds the customer", customer in driver.find_element(By.ID, "customers").text)
    navigate(driver, driver.find_element(By.LINK_TEXT, customer))
    check("the customer page shows the customer", driver.find_element(By.ID, "external-id").text == customer)
    check("the customer page shows the subscription", "active" in driver.find_element(By.ID, "subscription").text)
    bars = driver.find_elements(By.CSS_SELECTOR, "#entitlements svg.bar")
    check("metered usage is drawn as a bar", len(bars) > 0)
    usage = driver.find_elements(By.CSS_SELECTOR, "section.usage-chart[data-feature='exports.daily'] svg.daily")
    check("a 30-day usage chart is drawn per metered feature", len(usage) == 1
          and len(driver.find_elements(By.CSS_SELECTOR, "section.usage-chart svg.daily")) == 2, str(len(usage)))
    title = usage[0].find_element(By.TAG_NAME, "title").get_attribute("textContent") if usage else ""
    check("the usage chart has a text alternative", "exports.daily" in title and "40 used" in title, title)
    fill = usage[0].find_element(By.CSS_SELECTOR, "rect.bar").value_of_css_property("fill") if usage else ""
    check("the chart is coloured by the stylesheet, no inline style", fill == "rgb(47, 91, 211)", fill)
    check("the customer page shows connections, credits, seats and events",
          all(driver.find_elements(By.XPATH, f"//h2[text()='{name}']") for name in ["Connections", "Credits", "Seats", "Stripe events", "Outbound events"]))

    Select(driver.find_element(By.ID, "feature")).select_by_value("sso")
    driver.find_element(By.ID, "value").send_keys("true")
    driver.find_element(By.ID, "reason").send_keys("browser test pilot")
    navigate(driver, driver.find_element(By.CSS_SELECTOR, "#grant-form button[type=submit]"))
    rows = [row for row in driver.find_elements(By.CSS_SELECTOR, "#grants tbody tr") if "browser test pilot" in row.text]
    check("a grant is created from the form", len(rows) == 1, driver.page_source[:300])
    sso = driver.find_element(By.CSS_SELECTOR, "#entitlements tr[data-feature='sso']")
    check("the grant shows in the entitlement table", "grant" in sso.text, sso.text)
    driver.set_window_size(1280, 2000)
    screenshot(driver, "customer")
    driver.set_window_size(1280, 1000)
    navigate(driver, rows[0].find_element(By.CSS_SELECTOR, "button.danger"))
    row = [row for row in driver.find_elements(By.CSS_SELECTOR, "#grants tbody tr") if "browser test pilot" in row.text][0]
    check("a grant is revoked from its button", not row.find_elements(By.CSS_SELECTOR, "button.danger") and "UTC" in row.find_elements(By.TAG_NAME, "td")[6].text,
          row.text)

    cookie = driver.get_cookie("tollgate_console")["value"]
    token = driver.find_element(By.NAME, "csrf_token").get_attribute("value")
    grants_before = len(driver.find_elements(By.CSS_SELECTOR, "#grants tbody tr"))
    status, _ = raw("POST", customer_path + "/grants", cookie=cookie, form={"feature": "sso", "value": "true", "reason": "forged"})
    check("a form without its CSRF token is refused", status == 403, str(status))
    status, _ = raw("POST", customer_path + "/grants", cookie=cookie, form={"feature": "sso", "value": "true", "reason": "forged", "csrf_token": "x" * 43})
    check("a form with a wrong CSRF token is refused", status == 403, str(status))
    driver.refresh()
    check("refused forms changed nothing", len(driver.find_elements(By.CSS_SELECTOR, "#grants tbody tr")) == grants_before)
    check("no page broke the CSP", not csp_violations(driver), str(csp_violations(driver)))

    navigate(driver, driver.find_element(By.CSS_SELECTOR, "form.sign-out button"))
    check("sign-out returns to the sign-in page", driver.current_url.endswith("/admin/sign-in"), driver.current_url)
    status, headers = raw("GET", "/admin", cookie=cookie)
    check("a session after sign-out is refused (page)", status == 303 and headers.get("location") == "/admin/sign-in", str(status))
    status, _ = raw("POST", customer_path + "/grants", cookie=cookie, form={"feature": "sso", "value": "true", "reason": "late", "csrf_token": token})
    check("a session after sign-out is refused (form)", status == 401, str(status))
    driver.quit()

    # --- A read session: sees, has no buttons, is refused when it posts anyway.
    driver = browser()
    sign_in(driver, read_key)
    driver.get(base + customer_path)
    check("a read session sees the customer", driver.find_element(By.ID, "external-id").text == customer)
    check("a read session sees no grant form", not driver.find_elements(By.ID, "grant-form"))
    check("a read session sees no revoke buttons", not driver.find_elements(By.CSS_SELECTOR, "#grants button"))
    cookie = driver.get_cookie("tollgate_console")["value"]
    token = driver.find_element(By.NAME, "csrf_token").get_attribute("value")
    status, _ = raw("POST", customer_path + "/grants", cookie=cookie, form={"feature": "sso", "value": "true", "reason": "read", "csrf_token": token})
    check("a read session posting anyway is refused", status == 403, str(status))
    driver.refresh()
    check("the refused post changed nothing", "read" not in [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "#grants td")])
    driver.get(base + "/admin/customers")
    check("a read session sees the customers page", customer in driver.find_element(By.ID, "customers").text)
    driver.quit()

    # --- An admin session: a failed Stripe event replayed, a dead mail retried.
    driver = browser()
    sign_in(driver, admin_key)
    navigate(driver, driver.find_element(By.CSS_SELECTOR, "a.tile[href='/admin/webhooks?status=failed']"))
    screenshot(driver, "webhooks")
    check("the failed-events tile lists the failed event", event in driver.find_element(By.ID, "events").text)
    navigate(driver, driver.find_element(By.LINK_TEXT, event))
    check("an event shows its payload", event in driver.find_element(By.ID, "payload").text)
    check("an event shows its status", driver.find_element(By.ID, "event-status").text == "failed")
    screenshot(driver, "webhook")
    navigate(driver, driver.find_element(By.CSS_SELECTOR, "#replay-form button"))
    check("an event is replayed from its button", driver.find_element(By.ID, "event-status").text != "failed",
          driver.find_element(By.ID, "event-status").text)
    driver.get(base + "/admin")
    navigate(driver, driver.find_element(By.CSS_SELECTOR, "a.tile[href='/admin/outbox?status=dead']"))
    screenshot(driver, "outbox")
    rows = driver.find_elements(By.CSS_SELECTOR, "#mails tbody tr")
    check("the dead-mail tile lists the dead mails", len(rows) == 2, str(len(rows)))
    navigate(driver, [row for row in rows if "dead@" in row.text][0].find_element(By.TAG_NAME, "a"))
    check("a mail shows its status", driver.find_element(By.ID, "mail-status").text == "dead")
    screenshot(driver, "mail")
    navigate(driver, driver.find_element(By.CSS_SELECTOR, "#retry-form button"))
    check("a mail is retried from its button", driver.find_element(By.ID, "mail-status").text == "pending",
          driver.find_element(By.ID, "mail-status").text)
    # The mail rendered as the worker sends it: text on the page, HTML in a sandboxed iframe.
    check("a mail shows its rendered subject", driver.find_element(By.ID, "rendered-subject").text.strip() != "")
    check("a mail shows its rendered text", "Ada" in driver.find_element(By.ID, "rendered-text").text)
    frame = driver.find_element(By.ID, "rendered-html")
    check("the HTML preview is a sandboxed iframe", frame.get_attribute("sandbox") == "", str(frame.get_attribute("sandbox")))
    driver.switch_to.frame(frame)
    WebDriverWait(driver, 10).until(lambda d: "Ada" in d.find_element(By.TAG_NAME, "body").text)
    check("the HTML preview shows the rendered mail", "Ada" in driver.find_element(By.TAG_NAME, "body").text)
    driver.switch_to.default_content()
    # Purge dead mail: the link, a confirm page (no JavaScript), then the purge.
    navigate(driver, driver.find_element(By.LINK_TEXT, "Outbox"))
    navigate(driver, driver.find_element(By.ID, "purge-link"))
    check("the purge asks first, counting the dead mail", driver.find_element(By.ID, "purge-count").text == "1",
          driver.find_element(By.TAG_NAME, "main").text[:200])
    navigate(driver, driver.find_element(By.CSS_SELECTOR, "#purge-form button"))
    check("dead mail is purged from the confirm page", "Purged 1" in driver.find_element(By.ID, "purge-done").text)
    # A catalog file previewed, then applied from the preview.
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "catalog.json")) as file:
        catalog = json.load(file)
    for plan in catalog["plans"]:
        if plan["key"] == "pro":
            plan["name"] = "Pro (browser)"
    navigate(driver, driver.find_element(By.LINK_TEXT, "Catalog"))
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, "catalog-text"), json.dumps(catalog, indent=2))
    navigate(driver, driver.find_element(By.CSS_SELECTOR, "#catalog-form button"))
    diff = driver.find_element(By.ID, "catalog-diff").text
    screenshot(driver, "catalog-preview")
    check("a catalog file's diff is previewed", "plan pro" in diff and "Pro (browser)" in diff and len(driver.find_elements(By.CSS_SELECTOR, "#catalog-diff > li")) == 1, diff)
    navigate(driver, driver.find_element(By.CSS_SELECTOR, "#catalog-apply button"))
    check("the previewed catalog is applied", bool(driver.find_elements(By.ID, "catalog-applied")), driver.find_element(By.TAG_NAME, "main").text[:300])
    driver.get(base + "/admin/catalog")
    check("the catalog shows the applied change", "Pro (browser)" in driver.find_element(By.CSS_SELECTOR, "#plans tr[data-plan=pro]").text)
    navigate(driver, driver.find_element(By.LINK_TEXT, "API keys"))
    screenshot(driver, "keys")
    check("the keys page lists the keys, no secret", "browser-admin" in driver.find_element(By.ID, "keys").text
          and admin_key not in driver.page_source)
    check("no admin page broke the CSP", not csp_violations(driver), str(csp_violations(driver)))
except Exception:  # noqa: BLE001 — any failure is reported in the JSON result
    failures.append("exception: " + traceback.format_exc(limit=3))
finally:
    if driver is not None:
        try:
            driver.quit()
        except Exception:  # noqa: BLE001
            pass

print(json.dumps({"passed": not failures and bool(checks), "checks": checks, "failures": failures}))
sys.exit(0 if not failures and checks else 1)
