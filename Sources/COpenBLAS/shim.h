#include <cblas.h>
// Declared by OpenBLAS's cblas.h; repeated so the binding fails loudly if a non-OpenBLAS cblas.h is picked up.
char *openblas_get_corename(void);
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
