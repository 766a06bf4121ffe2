typedef int placeholder_t; /* replaced by the module's implementation */
