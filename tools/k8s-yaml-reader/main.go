// k8s-yaml-reader reads YAML files as kubectl does and prints what Kubernetes would decode:
// the stream is cut at lines that start with `---` exactly as
// k8s.io/apimachinery/pkg/util/yaml's YAMLReader cuts it (rewritten here: apimachinery is not
// packaged in Debian), then each part is decoded alone by sigs.k8s.io/yaml (go-yaml v2, YAML
// 1.1), which keeps the part's first document.
//
// Output: one JSON line per part, {"file": F, "part": N, "line": L, "json": <document>} or
// {"file": F, "part": N, "line": L, "error": "..."} (L is the 1-based line where the part starts; an
// empty part decodes to null). A separator error ends the file, as it ends kubectl's decoding.
//
// Built offline from Debian packages by scripts/yaml-differential (golang-go,
// golang-gopkg-yaml.v2-dev, golang-k8s-sigs-yaml-dev).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

const separator = "---"

type part struct {
	File  string          `json:"file"`
	Part  int             `json:"part"`
	Line  int             `json:"line"`
	JSON  json.RawMessage `json:"json,omitempty"`
	Error string          `json:"error,omitempty"`
}

// readLine reads a line as apimachinery's LineReader does: bufio's ReadLine (which drops the
// line break, `\r\n` included) and a `\n` appended; io.EOF only once nothing is left.
func readLine(r *bufio.Reader) ([]byte, error) {
	var buffer bytes.Buffer
	isPrefix := true
	var err error
	for isPrefix && err == nil {
		var line []byte
		line, isPrefix, err = r.ReadLine()
		buffer.Write(line)
	}
	buffer.WriteByte('\n')
	return buffer.Bytes(), err
}

// chunks cuts data as apimachinery's YAMLReader.Read does, with the line each part starts at.
func chunks(data []byte) ([][]byte, []int, error) {
	reader := bufio.NewReader(bytes.NewReader(data))
	var out [][]byte
	var lines []int
	var buffer bytes.Buffer
	line, start := 0, 1
	for {
		l, err := readLine(reader)
		if err != nil && err != io.EOF {
			return out, lines, err
		}
		line++
		if i := bytes.Index(l, []byte(separator)); i == 0 {
			i += len(separator)
			trimmed := strings.TrimSpace(string(l[i:]))
			if len(trimmed) > 0 && trimmed[0] != '#' {
				return out, lines, fmt.Errorf("line %d: invalid Yaml document separator: %s", line, trimmed)
			}
			if buffer.Len() != 0 {
				out = append(out, append([]byte(nil), buffer.Bytes()...))
				lines = append(lines, start)
				buffer.Reset()
				start = line + 1
				continue
			}
			if err == io.EOF {
				return out, lines, nil
			}
		}
		if err == io.EOF {
			if buffer.Len() != 0 {
				out = append(out, append([]byte(nil), buffer.Bytes()...))
				lines = append(lines, start)
			}
			return out, lines, nil
		}
		if buffer.Len() == 0 {
			start = line
		}
		buffer.Write(l)
	}
}

func main() {
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	status := 0
	for _, path := range os.Args[1:] {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			status = 2
			continue
		}
		parts, lines, splitErr := chunks(data)
		for i, c := range parts {
			p := part{File: path, Part: i, Line: lines[i]}
			j, err := yaml.YAMLToJSON(c)
			if err != nil {
				p.Error = err.Error()
			} else {
				p.JSON = j
			}
			enc.Encode(p)
		}
		if splitErr != nil {
			enc.Encode(part{File: path, Part: len(parts), Line: 0, Error: splitErr.Error()})
		}
	}
	os.Exit(status)
}
