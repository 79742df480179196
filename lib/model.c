/* model.c - stub: the real implementation is being written. */
#include <stdlib.h>

#include "model.h"

void model_config_default(struct model_config *c)
{
	c->width = 64;
	c->rep_dim = 128;
	c->head_dim = 512;
	c->stem_stride = 1;
	c->stem_pad = 0;
	c->proj[0] = c->proj[1] = c->proj[2] = 512;
	c->proj[3] = 0;
	c->nproj = 3;
}
int model_config_check(const struct model_config *c, char *msg, size_t len) { (void)c; (void)msg; (void)len; return 0; }
struct model *model_create(const struct model_config *c, size_t max_batch) { (void)c; (void)max_batch; return NULL; }
void model_free(struct model *m) { (void)m; }
const struct model_config *model_get_config(const struct model *m) { (void)m; return NULL; }
size_t model_max_batch(const struct model *m) { (void)m; return 0; }
size_t model_param_count(const struct model *m) { (void)m; return 0; }
size_t model_encoder_param_count(const struct model *m) { (void)m; return 0; }
size_t model_buffer_count(const struct model *m) { (void)m; return 0; }
size_t model_activation_floats(const struct model *m) { (void)m; return 0; }
float *model_params(struct model *m) { (void)m; return NULL; }
float *model_grads(struct model *m) { (void)m; return NULL; }
float *model_buffers(struct model *m) { (void)m; return NULL; }
void model_init(struct model *m, struct rng *r) { (void)m; (void)r; }
void model_encode(struct model *m, const float *x, size_t N, float *rep) { (void)m; (void)x; (void)N; (void)rep; }
float model_vicreg_step(struct model *m, const float *x1, const float *x2, size_t N, const struct vicreg_params *p, float parts[3]) { (void)m; (void)x1; (void)x2; (void)N; (void)p; (void)parts; return 0; }
float model_vicreg_eval(struct model *m, const float *x1, const float *x2, size_t N, const struct vicreg_params *p, float parts[3]) { (void)m; (void)x1; (void)x2; (void)N; (void)p; (void)parts; return 0; }
