package topology

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxSecretFile bounds a ${file:PATH} secret; secrets are small, and a
// bound keeps a mistaken path (a log, a device) from being read whole.
const maxSecretFile = 64 << 10

// Load reads, parses and validates the topology file at path. The DAG is
// nil when there is an error; the diagnostics hold every error and warning.
// The error is non-nil when the file cannot be read or has errors.
func Load(path string) (*DAG, Diagnostics, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read topology file: %w", err)
	}
	g, diags := Parse(path, data)
	return g, diags, diags.Err()
}

// Parse parses and validates a topology file's content. name is used in
// diagnostics, and relative paths (${file:...}, *_file, checkpoint_dir)
// resolve against its directory. Secrets are resolved from the process
// environment and the file system. The DAG is nil when there is an error.
func Parse(name string, data []byte) (*DAG, Diagnostics) {
	return parse(name, data, os.LookupEnv, readSecretFile)
}

func parse(name string, data []byte, lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) (g *DAG, diags Diagnostics) {
	base := filepath.Base(name)
	d := &decoder{
		file:      name,
		dir:       filepath.Dir(name),
		stem:      strings.TrimSuffix(base, filepath.Ext(base)),
		lookupEnv: lookupEnv,
		readFile:  readFile,
		rules:     map[*TableRule]*ruleInfo{},
	}
	defer func() {
		// The YAML library has panicked on hostile input in the past; a
		// broken file must give a message, not a crash.
		if r := recover(); r != nil {
			g = nil
			diags = append(d.diags, Diagnostic{Severity: SeverityError, File: name, Message: fmt.Sprintf("cannot parse the file: %v", r), Fix: "check the YAML syntax"})
		}
	}()
	root := d.document(data)
	if root == nil {
		return nil, d.diags
	}
	g = &DAG{}
	d.object(topSpec, root, scope{}, g)
	if listsWellFormed(root) {
		d.link(g)
	}
	d.diags.sort()
	if d.diags.Errors() > 0 {
		return nil, d.diags
	}
	return g, d.diags
}

// listsWellFormed reports whether the node lists are lists; when one is
// not, linking would only add errors that follow from that one.
func listsWellFormed(root *yaml.Node) bool {
	root = resolve(root)
	if root.Kind != yaml.MappingNode {
		return false
	}
	for _, key := range []string{"sources", "transforms", "routers", "sinks"} {
		if v := resolve(lookup(root, key)); v != nil && v.Kind != yaml.SequenceNode {
			return false
		}
	}
	return true
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document decodes the single YAML document of data.
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errorf(&yaml.Node{Line: 1, Column: 1}, "start it with version: 1 and add sources and sinks (see examples/quickstart.yaml)", "the topology file is empty")
			return nil
		}
		d.yamlError(err, data)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.errorf(&extra, "keep one task per file; remove the --- separator", "the file holds more than one YAML document")
	} else if !errors.Is(err, io.EOF) {
		d.yamlError(err, data)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		d.errorf(&yaml.Node{Line: 1, Column: 1}, "start it with version: 1 and add sources and sinks (see examples/quickstart.yaml)", "the topology file is empty")
		return nil
	}
	return doc.Content[0]
}

func (d *decoder) yamlError(err error, data []byte) {
	msg := err.Error()
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		// yaml.v3 reports parser errors with the 0-based line of the
		// construct being parsed, scanner errors with a 1-based line.
		if strings.HasPrefix(msg, "did not find expected") || strings.HasPrefix(msg, "found duplicate") ||
			strings.HasPrefix(msg, "found incompatible") || strings.HasPrefix(msg, "found undefined tag") {
			line++
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	diag := Diagnostic{Severity: SeverityError, File: d.file, Line: line, Message: "YAML syntax: " + msg, Fix: "check indentation, colons and quotes on this line or the one before"}
	// An unquoted ${env:X} inside a { } flow mapping is the commonest way
	// to break a topology file; say so.
	lines := strings.Split(string(data), "\n")
	for l := line - 2; l < line && l >= 0 && l < len(lines); l++ {
		if i := strings.Index(lines[l], "${"); i > 0 && strings.Contains(lines[l][:i], "{") {
			diag.Fix = `quote references inside { } flow mappings: {password: "${env:NAME}"}`
		}
	}
	if line > 0 {
		diag.Col = 1
	}
	d.diags = append(d.diags, diag)
}

// readSecretFile reads a small regular file.
func readSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if st.Size() > maxSecretFile {
		return nil, fmt.Errorf("larger than %d bytes; is it really a secret?", maxSecretFile)
	}
	return io.ReadAll(io.LimitReader(f, maxSecretFile))
}
