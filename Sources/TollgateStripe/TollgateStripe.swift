// Stripe: API client, webhook signatures, event and object shapes.
import Tollgate
