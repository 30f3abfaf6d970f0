// The test program's counting operator new and delete (tests/counting_new.hpp), defined once here.
#include "counting_new.hpp"
