; Definitions and imports for the repository index (see cache/index/extract.py for capture names).
(function_declaration name: (identifier) @name) @definition.function
(method_declaration name: (field_identifier) @name) @definition.method
(type_spec name: (type_identifier) @name) @definition.type
(type_alias name: (type_identifier) @name) @definition.type
; `(const_spec (identifier) @name)`, not `name:`: the field form matches only the first of `X, Y`
(source_file (const_declaration (const_spec (identifier) @name)) @definition.variable)
(source_file (var_declaration (var_spec (identifier) @name)) @definition.variable)
(source_file (var_declaration (var_spec_list (var_spec (identifier) @name))) @definition.variable)
(import_declaration) @import
