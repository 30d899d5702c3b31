/* templates.h -- the templates `faasbus new` writes from. */
#ifndef CLI_TEMPLATES_H
#define CLI_TEMPLATES_H

struct template_file {
    const char *name;
    int mode;
    const char *text;
};

struct template
{
    const char *lang;
    const char *fprocess; /* run in the handler's folder */
    const struct template_file *files;
};

const struct template *template_find(const char *lang);
/* All of them, ending with an entry whose lang is NULL. */
const struct template *template_all(void);

#endif
