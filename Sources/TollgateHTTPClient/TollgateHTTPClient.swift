// The libcurl HTTP client: see issue "Stripe" point 1.
import CCurl
