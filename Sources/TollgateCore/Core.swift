import Tollgate
import TollgateStore
