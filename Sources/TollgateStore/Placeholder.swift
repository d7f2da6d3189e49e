import CSQLite
import CLibPQ
import CTollgateShims
