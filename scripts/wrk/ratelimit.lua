-- wrk script: POST one rate-limit decision (customer bench-customer, policy api) per request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"customer":"bench-customer","policy":"api"}'
