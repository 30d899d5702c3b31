/* templates.c -- the built-in function templates of `faasbus new`. Each
 * reads the request on stdin and writes the answer on stdout, so it runs
 * under the classic watchdog as it is. */
#include <stddef.h>
#include <string.h>

#include "templates.h"

static const struct template_file SHELL_FILES[] = {
    { "handler.sh", 0755,
      "#!/bin/sh\n"
      "# The request body arrives on stdin; what this prints is the answer.\n"
      "# Request headers are in the environment as Http_* (Http_Method, Http_Path...).\n"
      "body=$(cat)\n"
      "echo \"Hello from shell: $body\"\n" },
    { NULL, 0, NULL },
};

static const struct template_file PYTHON_FILES[] = {
    { "handler.py", 0644,
      "import sys\n\n\n"
      "def handle(body):\n"
      "    \"\"\"Takes the request body, returns the answer.\"\"\"\n"
      "    return \"Hello from python: \" + body\n\n\n"
      "if __name__ == \"__main__\":\n"
      "    sys.stdout.write(handle(sys.stdin.read()) + \"\\n\")\n" },
    { NULL, 0, NULL },
};

static const struct template_file NODE_FILES[] = {
    { "handler.js", 0644,
      "'use strict';\n\n"
      "// Takes the request body, returns the answer.\n"
      "function handle(body) {\n"
      "  return `Hello from node: ${body}`;\n"
      "}\n\n"
      "const chunks = [];\n"
      "process.stdin.on('data', (c) => chunks.push(c));\n"
      "process.stdin.on('end', () => {\n"
      "  process.stdout.write(handle(Buffer.concat(chunks).toString()) + '\\n');\n"
      "});\n" },
    { NULL, 0, NULL },
};

static const struct template_file C_FILES[] = {
    { "handler.c", 0644,
      "/* The request body arrives on stdin; what this prints is the answer. */\n"
      "#include <stdio.h>\n\n"
      "int main(void)\n"
      "{\n"
      "    char buf[65536];\n"
      "    size_t n;\n"
      "    fputs(\"Hello from c: \", stdout);\n"
      "    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)\n"
      "        fwrite(buf, 1, n, stdout);\n"
      "    putchar('\\n');\n"
      "    return 0;\n"
      "}\n" },
    { "Makefile", 0644,
      "# `faasbus up` runs make here before it deploys.\n"
      "CFLAGS ?= -O2 -Wall\n\n"
      "handler: handler.c\n"
      "\t$(CC) $(CFLAGS) -o $@ handler.c\n" },
    { NULL, 0, NULL },
};

static const struct template TEMPLATES[] = {
    { "shell", "sh handler.sh", SHELL_FILES },
    { "python", "python3 handler.py", PYTHON_FILES },
    { "node", "node handler.js", NODE_FILES },
    { "c", "./handler", C_FILES },
    { NULL, NULL, NULL },
};

const struct template *template_find(const char *lang)
{
    for (const struct template *t = TEMPLATES; t->lang; t++)
        if (strcmp(t->lang, lang) == 0)
            return t;
    return NULL;
}

const struct template *template_all(void)
{
    return TEMPLATES;
}
